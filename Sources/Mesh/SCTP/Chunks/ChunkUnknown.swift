/// A chunk type we do not implement. What to do with it is in the upper two bits of its type
/// (RFC 4960 section 3.2), so that newer peers can add chunks older ones safely ignore.
public struct ChunkUnknown: SCTPChunkBody {
    /// Never used: an unknown chunk's type is its own.
    public static let chunkType: UInt8 = 0xff

    public var type: UInt8
    public var chunkFlags: UInt8
    public var value: [UInt8]

    public init(type: UInt8, flags: UInt8, value: [UInt8]) {
        self.type = type
        self.chunkFlags = flags
        self.value = value
    }

    public var flags: UInt8 { chunkFlags }

    /// 00: stop and drop the packet; 01: same, and report; 10: skip the chunk; 11: skip and report.
    public var skipsChunk: Bool { type & 0x80 != 0 }
    public var reportsChunk: Bool { type & 0x40 != 0 }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkUnknown {
        ChunkUnknown(type: chunkType, flags: flags, value: Array(value))
    }

    public func writeValue(into writer: inout ByteWriter) { writer.write(contentsOf: value) }
}
