/// SHUTDOWN (RFC 4960 section 3.3.8): no more new data from the sender; it also acknowledges
/// up to the cumulative TSN, since a SACK may not follow.
public struct ChunkShutdown: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.shutdown

    public var cumulativeTSNAck: UInt32

    public init(cumulativeTSNAck: UInt32) { self.cumulativeTSNAck = cumulativeTSNAck }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkShutdown {
        var reader = ByteReader(value)
        let chunk = ChunkShutdown(cumulativeTSNAck: try reader.readUInt32())
        guard reader.isAtEnd else { throw ParseError("SCTP: SHUTDOWN of \(value.count + 4) bytes, expected 8") }
        return chunk
    }

    public func writeValue(into writer: inout ByteWriter) { writer.write(cumulativeTSNAck) }
}
