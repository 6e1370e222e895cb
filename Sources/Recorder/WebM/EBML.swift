import Mesh

/// EBML (RFC 8794) primitives: the variable-length integers and elements that WebM is built from.
public enum EBML {
    /// The reserved all-ones size meaning "until an element of the parent's level appears".
    /// Eight bytes, like libwebm's live muxer, because some readers only accept that spelling.
    public static let unknownSize: [UInt8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]

    /// The largest size an 8-byte vint can carry; all ones is reserved for `unknownSize`.
    public static let maximumSize: UInt64 = (1 << 56) - 2

    /// The shortest vint for `value`. Values above `maximumSize` cannot exist in memory; one is
    /// written as `maximumSize` rather than trapping.
    public static func encodeSize(_ value: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.ebmlSize(value)
        return writer.bytes
    }

    /// The shortest vint for `value` as an integer with its length marker, and its length in bytes.
    static func markedSize(_ value: UInt64) -> (marked: UInt64, length: Int) {
        let value = min(value, maximumSize)
        var length = 1
        // All ones at a given length means "unknown", so a value equal to it needs one byte more.
        while length < 8, value >= (UInt64(1) << (7 * UInt64(length))) - 1 { length += 1 }
        return (value | (UInt64(1) << (7 * UInt64(length))), length)
    }

    /// `value` as a vint of exactly `length` bytes (1...8), so that a size written now can be replaced
    /// in place later by one of the same width; `nil` when it does not fit.
    public static func encodeSize(_ value: UInt64, length: Int) -> [UInt8]? {
        guard (1...8).contains(length), value < (UInt64(1) << (7 * UInt64(length))) - 1 else { return nil }
        var writer = ByteWriter(capacity: length)
        writer.writeBigEndian(value | (UInt64(1) << (7 * UInt64(length))), count: length)
        return writer.bytes
    }

    /// A Void element of exactly `totalLength` bytes (ID and size included), which every reader skips:
    /// room held for bytes that are only known later. `nil` below 2 bytes, the smallest Void.
    public static func void(totalLength: Int) -> [UInt8]? {
        guard totalLength >= 2 else { return nil }
        // A 1-byte size covers bodies up to 126 bytes; beyond, an 8-byte size keeps the arithmetic simple.
        let sizeLength = totalLength - 2 <= 126 ? 1 : 8
        guard totalLength >= 1 + sizeLength,
            let size = encodeSize(UInt64(totalLength - 1 - sizeLength), length: sizeLength)
        else { return nil }
        return [UInt8(truncatingIfNeeded: ID.void)] + size + [UInt8](repeating: 0, count: totalLength - 1 - sizeLength)
    }

    /// Element IDs keep their marker bits on the wire, so they are written as their big-endian bytes.
    public static func encodeID(_ id: UInt32) -> [UInt8] {
        var writer = ByteWriter(capacity: 4)
        writer.ebmlID(id)
        return writer.bytes
    }

    static func idLength(_ id: UInt32) -> Int { id > 0xFF_FFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1 }

    /// Reads a data size; `nil` is the unknown size (all value bits set, at any length).
    public static func readSize(_ reader: inout ByteReader) throws -> UInt64? {
        let first = try reader.readUInt8()
        guard first != 0 else { throw ParseError("EBML size longer than 8 bytes at \(reader.position - 1)") }
        let length = first.leadingZeroBitCount + 1
        var value = UInt64(first & (0xFF >> length))
        var allOnes = value == UInt64(0xFF >> length)
        for _ in 1..<length {
            let byte = try reader.readUInt8()
            allOnes = allOnes && byte == 0xFF
            value = value << 8 | UInt64(byte)
        }
        return allOnes ? nil : value
    }

    /// Reads an element ID with its marker bits, as `encodeID` writes it.
    public static func readID(_ reader: inout ByteReader) throws -> UInt32 {
        let first = try reader.readUInt8()
        let length = first.leadingZeroBitCount + 1
        guard length <= 4 else { throw ParseError("EBML ID longer than 4 bytes at \(reader.position - 1)") }
        var id = UInt32(first)
        for _ in 1..<length { id = id << 8 | UInt32(try reader.readUInt8()) }
        return id
    }

    /// The IDs this writer uses, named as in the Matroska specification.
    public enum ID {
        public static let ebml: UInt32 = 0x1A45_DFA3
        public static let ebmlVersion: UInt32 = 0x4286
        public static let ebmlReadVersion: UInt32 = 0x42F7
        public static let ebmlMaxIDLength: UInt32 = 0x42F2
        public static let ebmlMaxSizeLength: UInt32 = 0x42F3
        public static let docType: UInt32 = 0x4282
        public static let docTypeVersion: UInt32 = 0x4287
        public static let docTypeReadVersion: UInt32 = 0x4285

        public static let void: UInt32 = 0xEC
        public static let crc32: UInt32 = 0xBF

        public static let segment: UInt32 = 0x1853_8067
        public static let seekHead: UInt32 = 0x114D_9B74
        public static let seek: UInt32 = 0x4DBB
        public static let seekID: UInt32 = 0x53AB
        public static let seekPosition: UInt32 = 0x53AC
        public static let info: UInt32 = 0x1549_A966
        public static let timestampScale: UInt32 = 0x2A_D7B1
        public static let duration: UInt32 = 0x4489
        public static let muxingApp: UInt32 = 0x4D80
        public static let writingApp: UInt32 = 0x5741
        public static let dateUTC: UInt32 = 0x4461

        public static let tracks: UInt32 = 0x1654_AE6B
        public static let trackEntry: UInt32 = 0xAE
        public static let trackNumber: UInt32 = 0xD7
        public static let trackUID: UInt32 = 0x73C5
        public static let trackType: UInt32 = 0x83
        public static let flagLacing: UInt32 = 0x9C
        public static let codecID: UInt32 = 0x86
        public static let codecPrivate: UInt32 = 0x63A2
        public static let codecDelay: UInt32 = 0x56AA
        public static let seekPreRoll: UInt32 = 0x56BB
        public static let defaultDuration: UInt32 = 0x23E383
        public static let video: UInt32 = 0xE0
        public static let pixelWidth: UInt32 = 0xB0
        public static let pixelHeight: UInt32 = 0xBA
        public static let audio: UInt32 = 0xE1
        public static let samplingFrequency: UInt32 = 0xB5
        public static let channels: UInt32 = 0x9F

        public static let cluster: UInt32 = 0x1F43_B675
        public static let timestamp: UInt32 = 0xE7
        public static let simpleBlock: UInt32 = 0xA3
        public static let blockGroup: UInt32 = 0xA0

        public static let cues: UInt32 = 0x1C53_BB6B
        public static let cuePoint: UInt32 = 0xBB
        public static let cueTime: UInt32 = 0xB3
        public static let cueTrackPositions: UInt32 = 0xB7
        public static let cueTrack: UInt32 = 0xF7
        public static let cueClusterPosition: UInt32 = 0xF1
        public static let cueRelativePosition: UInt32 = 0xF0

        public static let chapters: UInt32 = 0x1043_A770
        public static let tags: UInt32 = 0x1254_C367
        public static let attachments: UInt32 = 0x1941_A469

        /// The children of a Segment: one of these ends an unknown-size Cluster.
        public static let segmentLevel: Set<UInt32> = [
            seekHead, info, tracks, cluster, cues, chapters, tags, attachments,
        ]
    }
}

// IDs and sizes are written byte by byte into the writer: building each as an array first cost two
// allocations per frame recorded (a third of the recorder's mallocs per packet at N = 20).
extension ByteWriter {
    mutating func ebmlID(_ id: UInt32) { writeBigEndian(UInt64(id), count: EBML.idLength(id)) }

    /// `value` as the shortest vint (`EBML.encodeSize`).
    mutating func ebmlSize(_ value: UInt64) {
        let (marked, length) = EBML.markedSize(value)
        writeBigEndian(marked, count: length)
    }

    /// The low `count` bytes of `value`, most significant first: how EBML writes IDs, sizes and integers.
    fileprivate mutating func writeBigEndian(_ value: UInt64, count: Int) {
        for shift in (0..<count).reversed() { write(UInt8(truncatingIfNeeded: value >> (8 * UInt64(shift)))) }
    }

    mutating func ebmlUInt(_ id: UInt32, _ value: UInt64) {
        ebmlID(id)
        let length = max(1, (64 - value.leadingZeroBitCount + 7) / 8)
        ebmlSize(UInt64(length))
        writeBigEndian(value, count: length)
    }

    mutating func ebmlInt64(_ id: UInt32, _ value: Int64) {
        ebmlID(id)
        ebmlSize(8)
        write(UInt64(bitPattern: value))
    }

    mutating func ebmlFloat(_ id: UInt32, _ value: Double) {
        ebmlID(id)
        ebmlSize(8)
        write(value.bitPattern)
    }

    mutating func ebmlBinary(_ id: UInt32, _ value: some Collection<UInt8>) {
        ebmlID(id)
        ebmlSize(UInt64(value.count))
        write(contentsOf: value)
    }

    mutating func ebmlString(_ id: UInt32, _ value: String) { ebmlBinary(id, Array(value.utf8)) }

    /// A master element of known size: its body is built first because the size precedes it.
    mutating func ebmlMaster(_ id: UInt32, _ body: (inout ByteWriter) -> Void) {
        var inner = ByteWriter()
        body(&inner)
        ebmlBinary(id, inner.bytes)
    }
}
