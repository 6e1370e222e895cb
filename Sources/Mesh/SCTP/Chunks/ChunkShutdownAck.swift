/// SHUTDOWN ACK (RFC 4960 section 3.3.9): all data is acknowledged, the peer may complete.
public struct ChunkShutdownAck: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.shutdownAck

    public init() {}

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkShutdownAck {
        guard value.isEmpty else { throw ParseError("SCTP: SHUTDOWN ACK carries \(value.count) unexpected bytes") }
        return ChunkShutdownAck()
    }

    public func writeValue(into writer: inout ByteWriter) {}
}
