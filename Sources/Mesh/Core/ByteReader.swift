/// Why a wire message could not be read. Every parser in Mesh throws these, never traps.
public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A bounds-checked cursor over bytes from the network: every read either succeeds or throws.
public struct ByteReader {
    public let bytes: ArraySlice<UInt8>
    public private(set) var offset: Int

    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }
    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.offset = bytes.startIndex
    }

    public var remaining: Int { bytes.endIndex - offset }
    public var isAtEnd: Bool { offset >= bytes.endIndex }
    /// Position relative to the start of the input.
    public var position: Int { offset - bytes.startIndex }

    public mutating func readUInt8() throws -> UInt8 {
        guard remaining >= 1 else { throw ParseError("truncated: need 1 byte at \(position)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16() throws -> UInt16 {
        guard remaining >= 2 else { throw ParseError("truncated: need 2 bytes at \(position)") }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func readUInt24() throws -> UInt32 {
        guard remaining >= 3 else { throw ParseError("truncated: need 3 bytes at \(position)") }
        defer { offset += 3 }
        return UInt32(bytes[offset]) << 16 | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2])
    }

    public mutating func readUInt32() throws -> UInt32 {
        guard remaining >= 4 else { throw ParseError("truncated: need 4 bytes at \(position)") }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    public mutating func readUInt64() throws -> UInt64 {
        let high = try readUInt32()
        let low = try readUInt32()
        return UInt64(high) << 32 | UInt64(low)
    }

    public mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else {
            throw ParseError("truncated: need \(count) bytes at \(position), have \(remaining)")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    public mutating func skip(_ count: Int) throws { _ = try readBytes(count) }

    public mutating func readRest() -> ArraySlice<UInt8> {
        defer { offset = bytes.endIndex }
        return bytes[offset...]
    }

    public func peekUInt8() -> UInt8? { isAtEnd ? nil : bytes[offset] }
}

/// Appends big-endian wire fields.
public struct ByteWriter {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    /// The bytes written, handed over without a copy: the writer ends here.
    public consuming func take() -> [UInt8] { bytes }

    public mutating func write(_ value: UInt8) { bytes.append(value) }
    public mutating func write(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xff))
    }
    public mutating func writeUInt24(_ value: UInt32) {
        bytes.append(UInt8((value >> 16) & 0xff))
        bytes.append(UInt8((value >> 8) & 0xff))
        bytes.append(UInt8(value & 0xff))
    }
    public mutating func write(_ value: UInt32) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8((value >> 16) & 0xff))
        bytes.append(UInt8((value >> 8) & 0xff))
        bytes.append(UInt8(value & 0xff))
    }
    public mutating func write(_ value: UInt64) {
        write(UInt32(value >> 32))
        write(UInt32(value & 0xffff_ffff))
    }
    public mutating func write<S: Sequence>(contentsOf sequence: S) where S.Element == UInt8 {
        bytes.append(contentsOf: sequence)
    }
    public mutating func writeZeros(_ count: Int) {
        bytes.append(contentsOf: repeatElement(0, count: count))
    }
    /// Overwrites two bytes already written (lengths known only after the body).
    public mutating func patch(_ value: UInt16, at index: Int) {
        bytes[index] = UInt8(value >> 8)
        bytes[index + 1] = UInt8(value & 0xff)
    }
}
