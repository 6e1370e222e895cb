import CEngageOpenSSL

/// A local failure to set up DTLS (certificate, context) or to send; peer-caused failures
/// arrive as `DTLSEvent.failed` instead.
public struct DTLSError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// `message` plus whatever OpenSSL queued on this thread, which it drains.
    static func openSSL(_ message: String) -> DTLSError {
        let details = OpenSSLErrors.drain()
        return DTLSError(details.isEmpty ? message : "\(message): \(details)")
    }
}

enum OpenSSLErrors {
    /// OpenSSL's error queue is per thread and an owner may hop threads between calls, so
    /// callers clear it before each operation and drain it right after.
    static func drain() -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        CEngageOpenSSL_drain_errors(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
