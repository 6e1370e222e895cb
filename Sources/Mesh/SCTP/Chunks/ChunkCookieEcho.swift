/// COOKIE ECHO (RFC 4960 section 3.3.11): the State Cookie from INIT ACK, returned as is.
public struct ChunkCookieEcho: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.cookieEcho

    public var cookie: [UInt8]

    public init(cookie: [UInt8]) { self.cookie = cookie }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkCookieEcho {
        guard !value.isEmpty else { throw ParseError("SCTP: COOKIE ECHO with an empty cookie") }
        return ChunkCookieEcho(cookie: Array(value))
    }

    public func writeValue(into writer: inout ByteWriter) { writer.write(contentsOf: cookie) }
}
