/// FORWARD TSN (RFC 3758 section 3.2): the sender gave up on TSNs up to `newCumulativeTSN`
/// (partially reliable channels); the receiver moves its cumulative TSN there and skips the
/// listed ordered streams past the given sequence numbers.
///
///     new cumulative TSN (32) | (stream identifier (16), stream sequence number (16))*
public struct ChunkForwardTSN: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.forwardTSN

    public struct SkippedStream: Equatable, Sendable {
        public var streamIdentifier: UInt16
        public var streamSequenceNumber: UInt16
        public init(streamIdentifier: UInt16, streamSequenceNumber: UInt16) {
            self.streamIdentifier = streamIdentifier
            self.streamSequenceNumber = streamSequenceNumber
        }
    }

    public var newCumulativeTSN: UInt32
    public var streams: [SkippedStream]

    public init(newCumulativeTSN: UInt32, streams: [SkippedStream] = []) {
        self.newCumulativeTSN = newCumulativeTSN
        self.streams = streams
    }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkForwardTSN {
        var reader = ByteReader(value)
        var chunk = ChunkForwardTSN(newCumulativeTSN: try reader.readUInt32())
        guard reader.remaining % 4 == 0 else {
            throw ParseError("SCTP: FORWARD TSN stream list of \(reader.remaining) bytes is not a multiple of 4")
        }
        while !reader.isAtEnd {
            chunk.streams.append(
                SkippedStream(streamIdentifier: try reader.readUInt16(), streamSequenceNumber: try reader.readUInt16()))
        }
        return chunk
    }

    public func writeValue(into writer: inout ByteWriter) {
        writer.write(newCumulativeTSN)
        for stream in streams {
            writer.write(stream.streamIdentifier)
            writer.write(stream.streamSequenceNumber)
        }
    }
}
