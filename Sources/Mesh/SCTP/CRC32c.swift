/// CRC32c (Castagnoli, reflected polynomial 0x82F63B78), the SCTP checksum (RFC 4960 appendix B).
///
/// SCTP chose it over the Adler-32 of RFC 2960 because Adler-32 is weak on short packets.
/// The table is built once; a byte-at-a-time loop is ample for data-channel rates.
public enum CRC32c {
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8)
        }
        return ~crc
    }

    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0x82f6_3b78 ^ (value >> 1) : value >> 1 }
        return value
    }
}
