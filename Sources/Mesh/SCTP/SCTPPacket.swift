/// One SCTP packet (RFC 4960 section 3): a common header, then chunks, each padded to 4 bytes.
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-------------------------------+-------------------------------+
///     |      Source Port Number       |    Destination Port Number    |
///     +-------------------------------+-------------------------------+
///     |                      Verification Tag                         |
///     +---------------------------------------------------------------+
///     |                    Checksum (CRC32c)                          |
///     +---------------------------------------------------------------+
///     | Chunk Type    | Chunk Flags   |        Chunk Length           |
///     |                      Chunk Value ...                          |
///
/// Over DTLS (RFC 8261) the ports are the `a=sctp-port` values, 5000 on both sides in practice.
public struct SCTPPacket: Equatable, Sendable {
    public static let commonHeaderSize = 12

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var verificationTag: UInt32
    public var chunks: [SCTPChunk]

    public init(sourcePort: UInt16, destinationPort: UInt16, verificationTag: UInt32, chunks: [SCTPChunk]) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.verificationTag = verificationTag
        self.chunks = chunks
    }

    /// Parses and, unless told otherwise, verifies the checksum first: a packet that fails it
    /// is corrupt and none of its fields can be trusted.
    public static func parse(_ bytes: [UInt8], verifyChecksum: Bool = true) throws -> SCTPPacket {
        guard bytes.count >= commonHeaderSize else {
            throw ParseError("SCTP: packet of \(bytes.count) bytes is shorter than the common header")
        }
        if verifyChecksum {
            let carried = checksumField(bytes)
            let computed = computeChecksum(bytes)
            guard carried == computed else {
                throw ParseError("SCTP: bad checksum \(hex(carried)), expected \(hex(computed))")
            }
        }
        var reader = ByteReader(bytes)
        let sourcePort = try reader.readUInt16()
        let destinationPort = try reader.readUInt16()
        let tag = try reader.readUInt32()
        try reader.skip(4)
        var chunks: [SCTPChunk] = []
        while !reader.isAtEnd {
            chunks.append(try SCTPChunk.parse(&reader))
        }
        guard !chunks.isEmpty else { throw ParseError("SCTP: packet carries no chunk") }
        return SCTPPacket(sourcePort: sourcePort, destinationPort: destinationPort, verificationTag: tag, chunks: chunks)
    }

    public func serialize() -> [UInt8] {
        var writer = ByteWriter(capacity: 1200)
        writer.write(sourcePort)
        writer.write(destinationPort)
        writer.write(verificationTag)
        writer.write(UInt32(0))
        for chunk in chunks { chunk.write(into: &writer) }
        var bytes = writer.bytes
        let crc = Self.computeChecksum(bytes)
        // The checksum goes on the wire least significant byte first (RFC 4960 appendix B),
        // unlike every other SCTP field.
        bytes[8] = UInt8(crc & 0xff)
        bytes[9] = UInt8((crc >> 8) & 0xff)
        bytes[10] = UInt8((crc >> 16) & 0xff)
        bytes[11] = UInt8(crc >> 24)
        return bytes
    }

    /// CRC32c over the packet with its checksum field taken as zero.
    static func computeChecksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        bytes.withUnsafeBytes { raw in
            // Callers hold at least the 12-byte common header; anything shorter is summed as it is.
            let headerEnd = min(8, raw.count)
            let bodyStart = min(12, raw.count)
            CRC32c.update(&crc, UnsafeRawBufferPointer(rebasing: raw[0..<headerEnd]))
            if raw.count >= 12 { withUnsafeBytes(of: UInt32(0)) { CRC32c.update(&crc, $0) } }
            CRC32c.update(&crc, UnsafeRawBufferPointer(rebasing: raw[bodyStart...]))
        }
        return ~crc
    }

    private static func checksumField(_ bytes: [UInt8]) -> UInt32 {
        UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24
    }

    private static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}

/// Serial-number arithmetic on 32-bit TSNs and 16-bit SSNs (RFC 1982), as RFC 4960 requires.
enum Serial {
    static func less(_ lhs: UInt32, _ rhs: UInt32) -> Bool { lhs != rhs && Int32(bitPattern: lhs &- rhs) < 0 }
    static func lessOrEqual(_ lhs: UInt32, _ rhs: UInt32) -> Bool { lhs == rhs || less(lhs, rhs) }
    static func less(_ lhs: UInt16, _ rhs: UInt16) -> Bool { lhs != rhs && Int16(bitPattern: lhs &- rhs) < 0 }
}
