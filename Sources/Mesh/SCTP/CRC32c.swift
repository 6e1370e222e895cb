import CEngageChecksum

/// CRC32c (Castagnoli, reflected polynomial 0x82F63B78), the SCTP checksum (RFC 4960 appendix B).
///
/// SCTP chose it over the Adler-32 of RFC 2960 because Adler-32 is weak on short packets.
/// Contiguous bytes go through the CPU's crc32 instruction where it has one (SSE4.2, `CEngageChecksum`):
/// a table lookup per byte was ample for chat, but every SCTP packet a peer sends pays for it, and it was
/// three fifths of the `sctp-association` fuzz target's time (docs/input-safety.md).
public enum CRC32c {
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes { crc = step(crc, byte) }
        return ~crc
    }

    /// Runs `bytes` through the register `crc`: start from 0xFFFFFFFF, invert at the end.
    static func update(_ crc: inout UInt32, _ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if cengage_crc32c_update(&crc, base.assumingMemoryBound(to: UInt8.self), bytes.count) == 1 { return }
        updateByTable(&crc, bytes)
    }

    /// The same bytes a byte at a time, whatever the CPU: what tests compare the instruction with.
    static func updateByTable(_ crc: inout UInt32, _ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { crc = step(crc, byte) }
    }

    @inline(__always)
    private static func step(_ crc: UInt32, _ byte: UInt8) -> UInt32 {
        table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8)
    }

    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0x82f6_3b78 ^ (value >> 1) : value >> 1 }
        return value
    }
}
