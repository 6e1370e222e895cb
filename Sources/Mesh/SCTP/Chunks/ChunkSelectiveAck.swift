/// SACK (RFC 4960 section 3.3.4): what the receiver holds.
///
///     cumulative TSN ack (32) | advertised receiver window credit (32)
///     number of gap ack blocks (16) | number of duplicate TSNs (16)
///     gap ack blocks: start (16), end (16), offsets from the cumulative TSN ack
///     duplicate TSNs (32 each)
public struct ChunkSelectiveAck: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.selectiveAck

    /// TSNs `cumulativeTSNAck + start ... cumulativeTSNAck + end` were received.
    public struct GapAckBlock: Equatable, Sendable {
        public var start: UInt16
        public var end: UInt16
        public init(start: UInt16, end: UInt16) {
            self.start = start
            self.end = end
        }
    }

    public var cumulativeTSNAck: UInt32
    public var advertisedReceiverWindowCredit: UInt32
    public var gapAckBlocks: [GapAckBlock]
    public var duplicateTSNs: [UInt32]

    public init(
        cumulativeTSNAck: UInt32, advertisedReceiverWindowCredit: UInt32, gapAckBlocks: [GapAckBlock] = [],
        duplicateTSNs: [UInt32] = []
    ) {
        self.cumulativeTSNAck = cumulativeTSNAck
        self.advertisedReceiverWindowCredit = advertisedReceiverWindowCredit
        self.gapAckBlocks = gapAckBlocks
        self.duplicateTSNs = duplicateTSNs
    }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkSelectiveAck {
        var reader = ByteReader(value)
        var sack = ChunkSelectiveAck(
            cumulativeTSNAck: try reader.readUInt32(), advertisedReceiverWindowCredit: try reader.readUInt32())
        let blockCount = Int(try reader.readUInt16())
        let duplicateCount = Int(try reader.readUInt16())
        guard reader.remaining == blockCount * 4 + duplicateCount * 4 else {
            throw ParseError(
                "SCTP: SACK announces \(blockCount) gap blocks and \(duplicateCount) duplicates in \(reader.remaining) bytes")
        }
        for _ in 0..<blockCount {
            let block = GapAckBlock(start: try reader.readUInt16(), end: try reader.readUInt16())
            guard block.start >= 1, block.start <= block.end else {
                throw ParseError("SCTP: SACK gap block \(block.start)-\(block.end) is not a range above the cumulative ack")
            }
            sack.gapAckBlocks.append(block)
        }
        for _ in 0..<duplicateCount { sack.duplicateTSNs.append(try reader.readUInt32()) }
        return sack
    }

    public func writeValue(into writer: inout ByteWriter) {
        writer.write(cumulativeTSNAck)
        writer.write(advertisedReceiverWindowCredit)
        // The counts are 16 bits: what they cannot count is not written.
        let gapAckBlocks = self.gapAckBlocks.prefix(Int(UInt16.max))
        let duplicateTSNs = self.duplicateTSNs.prefix(Int(UInt16.max))
        writer.write(UInt16(gapAckBlocks.count))
        writer.write(UInt16(duplicateTSNs.count))
        for block in gapAckBlocks {
            writer.write(block.start)
            writer.write(block.end)
        }
        for tsn in duplicateTSNs { writer.write(tsn) }
    }
}
