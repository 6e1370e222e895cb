import Foundation
import Mesh

/// How a receiver knows a delivery came from this service and was not replayed later: the header
/// `X-EngageBot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the shared secret>`.
public enum WebhookSignature {
    public static let header = "X-EngageBot-Signature"

    public static func sign(body: [UInt8], secret: String, timestamp: Int64) -> String {
        "t=\(timestamp),v1=\(hex(mac(body: body, secret: secret, timestamp: timestamp)))"
    }

    /// Checks a header against the body, in constant time for the MAC.
    public static func verify(header: String, body: [UInt8], secret: String) -> Bool {
        var timestamp: Int64?
        var presented: String?
        for part in header.split(separator: ",") {
            if part.hasPrefix("t=") { timestamp = Int64(part.dropFirst(2)) }
            if part.hasPrefix("v1=") { presented = String(part.dropFirst(3)) }
        }
        guard let timestamp, let presented else { return false }
        let expected = Array(hex(mac(body: body, secret: secret, timestamp: timestamp)).utf8)
        let given = Array(presented.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func mac(body: [UInt8], secret: String, timestamp: Int64) -> [UInt8] {
        Crypto.hmacSHA256(key: Array(secret.utf8), data: Array("\(timestamp).".utf8) + body)
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
