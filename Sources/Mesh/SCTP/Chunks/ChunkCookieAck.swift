/// COOKIE ACK (RFC 4960 section 3.3.12): the cookie was good; the client is established.
public struct ChunkCookieAck: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.cookieAck

    public init() {}

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkCookieAck {
        guard value.isEmpty else { throw ParseError("SCTP: COOKIE ACK carries \(value.count) unexpected bytes") }
        return ChunkCookieAck()
    }

    public func writeValue(into writer: inout ByteWriter) {}
}
