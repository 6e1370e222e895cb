/// Reads a state-machine target's script from the fuzzer's bytes: small integers and byte strings,
/// zeros once the input is used up, so every input is a valid script.
struct FuzzInput {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }

    mutating func uint32() -> UInt32 { UInt32(uint16()) << 16 | UInt32(uint16()) }

    mutating func bool() -> Bool { byte() & 1 == 1 }

    /// At most `count` bytes, fewer at the end of the input.
    mutating func bytes(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, offset + count)
        guard offset < end else { return [] }
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    /// A byte string prefixed by its one-byte length.
    mutating func shortBytes() -> [UInt8] { bytes(Int(byte())) }
}

/// Helpers for writing seeds, which must decode to the same script the target reads.
struct FuzzScript {
    private(set) var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }
    mutating func uint16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)] }
    mutating func uint32(_ value: UInt32) {
        uint16(UInt16(value >> 16))
        uint16(UInt16(truncatingIfNeeded: value))
    }
    mutating func bool(_ value: Bool) { byte(value ? 1 : 0) }
    /// Bytes as they are, for `FuzzInput.bytes(_:)`.
    mutating func raw(_ value: [UInt8]) { bytes += value }
    mutating func shortBytes(_ value: [UInt8]) {
        let kept = value.prefix(255)
        byte(UInt8(kept.count))
        bytes += kept
    }
}
