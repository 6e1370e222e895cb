import Mesh

/// Where the room's WebSocket is: the bot takes the page URL (http/https) or the socket URL (ws/wss).
public struct RoomURL: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// Path and query, starting with `/`.
    public var target: String

    public init(parsing text: String) throws {
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw ParseError("room URL '\(text.logSafe)' has no scheme (use ws://, wss://, http:// or https://)")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        switch scheme {
        case "ws", "http": secure = false
        case "wss", "https": secure = true
        default: throw ParseError("room URL scheme '\(scheme.logSafe)' is not ws, wss, http or https")
        }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        target = authorityEnd == rest.endIndex ? "/" : String(rest[authorityEnd...])
        if target.hasPrefix("?") { target = "/" + target }
        if let fragment = target.firstIndex(of: "#") { target = String(target[..<fragment]) }
        guard !authority.contains("@") else { throw ParseError("room URL must not carry credentials") }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw ParseError("room URL has an unclosed IPv6 literal") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let afterHost = authority[authority.index(after: close)...]
            port = try RoomURL.port(afterHost, secure: secure)
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = try RoomURL.port(authority[colon...], secure: secure)
        } else {
            host = String(authority)
            port = secure ? 443 : 80
        }
        guard !host.isEmpty else { throw ParseError("room URL has no host") }
    }

    private static func port(_ text: Substring, secure: Bool) throws -> Int {
        if text.isEmpty { return secure ? 443 : 80 }
        guard text.first == ":", let value = Int(text.dropFirst()), (1...65535).contains(value) else {
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
