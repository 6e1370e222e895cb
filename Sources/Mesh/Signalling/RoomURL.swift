/// Where the room's WebSocket is: the bot takes the page URL (http/https) or the socket URL (ws/wss).
///
/// The text comes from the operator or from the service's API caller, and the host and path go into the
/// WebSocket upgrade request as they are: so the host is a DNS name or an IP literal, the path has no
/// whitespace or control characters (no header can be smuggled in), and non-ASCII is percent-encoded.
public struct RoomURL: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// Path and query, starting with `/`.
    public var target: String

    static let maximumLength = 2048
    static let maximumHostLength = 253

    public init(parsing text: String) throws {
        guard text.utf8.count <= Self.maximumLength else {
            throw ParseError("room URL is longer than \(Self.maximumLength) bytes")
        }
        // Unicode scalars, not Characters: a combining mark after `#` or `/` must not hide it (found by the
        // room-url fuzz target: a fragment that stayed in the path).
        let scalars = text.unicodeScalars
        guard let schemeEnd = scalars.firstRange(of: "://".unicodeScalars) else {
            throw ParseError("room URL '\(text.logSafe)' has no scheme (use ws://, wss://, http:// or https://)")
        }
        let scheme = String(scalars[..<schemeEnd.lowerBound]).lowercased()
        switch scheme {
        case "ws", "http": secure = false
        case "wss", "https": secure = true
        default: throw ParseError("room URL scheme '\(scheme.logSafe)' is not ws, wss, http or https")
        }
        let rest = scalars[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = rest[authorityEnd...]
        if let fragment = path.firstIndex(of: "#") { path = path[..<fragment] }
        target = path.first == "?" ? "/" + String(path) : path.isEmpty ? "/" : String(path)
        guard !authority.contains("@") else { throw ParseError("room URL must not carry credentials") }
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { throw ParseError("room URL has an unclosed IPv6 literal") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            port = try RoomURL.port(authority[authority.index(after: close)...], secure: secure)
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = try RoomURL.port(authority[colon...], secure: secure)
        } else {
            host = String(authority)
            port = secure ? 443 : 80
        }
        guard !host.isEmpty else { throw ParseError("room URL has no host") }
        guard host.utf8.count <= Self.maximumHostLength else {
            throw ParseError("room URL host is longer than \(Self.maximumHostLength) bytes")
        }
        if authority.first == "[" {
            // An IPv6 literal, perhaps with a zone (`fe80::1%eth0`).
            guard host.utf8.allSatisfy({ Self.isNameCharacter($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "%") }),
                  host.contains(":")
            else { throw ParseError("room URL host '\(host.logSafe)' is not an IPv6 address") }
        } else {
            guard host.utf8.allSatisfy(Self.isNameCharacter) else {
                throw ParseError("room URL host '\(host.logSafe)' is not a host name or an IPv4 address")
            }
        }
        target = try Self.requestTarget(target)
        // Percent-encoding makes a path up to three times longer.
        guard description.utf8.count <= Self.maximumLength else {
            throw ParseError("room URL is longer than \(Self.maximumLength) bytes once percent-encoded")
        }
    }

    /// Letters, digits, `-`, `.` and `_`: host names (RFC 1123, with `_` as some local names have) and IPv4.
    private static func isNameCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"): true
        default: false
        }
    }

    /// The path and query as an HTTP request target: whitespace and control characters are refused (they
    /// would end the request line or a header), non-ASCII is percent-encoded as browsers send it.
    private static func requestTarget(_ text: String) throws -> String {
        if let bad = text.utf8.first(where: { $0 <= 0x20 || $0 == 0x7F }) {
            throw ParseError("room URL path contains \(bad == 0x20 ? "a space" : "control character \(bad)")")
        }
        guard text.utf8.contains(where: { $0 >= 0x80 }) else { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        for byte in text.utf8 {
            if byte < 0x80 {
                encoded.append(byte)
            } else {
                encoded += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    private static func port(_ text: Substring.UnicodeScalarView, secure: Bool) throws -> Int {
        if text.isEmpty { return secure ? 443 : 80 }
        guard text.first == ":", let value = Int(String(text.dropFirst())), (1...65535).contains(value) else {
            throw ParseError("room URL port '\(String(text.dropFirst()).logSafe)' is not a port number")
        }
        return value
    }

    /// A short name for the room, for folder names: the last path segment, or the host.
    public var roomName: String {
        let path = target.split(separator: "?").first.map(String.init) ?? "/"
        let segment = path.split(separator: "/").last.map(String.init) ?? ""
        return segment.isEmpty ? host : segment
    }

    public var hostHeader: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return (secure && port == 443) || (!secure && port == 80) ? bracketed : "\(bracketed):\(port)"
    }

    public var description: String { "\(secure ? "wss" : "ws")://\(hostHeader)\(target)" }
}
