/// One RTP header extension element (RFC 8285), its data a view into the packet.
public struct RTPHeaderExtension: Sendable, Equatable {
    /// The local identifier negotiated by `a=extmap`: 1...14 in the one-byte form, 1...255 in
    /// the two-byte form. Id 0 carries the raw block of a non-RFC 8285 profile (RFC 3550 §5.3.1).
    public var id: UInt8
    public var data: ArraySlice<UInt8>

    public init(id: UInt8, data: ArraySlice<UInt8>) {
        self.id = id
        self.data = data
    }

    /// The "defined by profile" value of the one-byte form.
    public static let oneByteProfile: UInt16 = 0xBEDE
    /// The two-byte form with zero "appbits"; the low 4 bits may carry application data.
    public static let twoByteProfile: UInt16 = 0x1000

    static func isTwoByte(_ profile: UInt16) -> Bool { profile & 0xFFF0 == twoByteProfile }

    /// Whether every element fits the one-byte form, which browsers expect by default.
    static func fitOneByteForm(_ extensions: [RTPHeaderExtension]) -> Bool {
        extensions.allSatisfy { (1...14).contains($0.id) && (1...16).contains($0.data.count) }
    }

    /// Elements of an extension block, which must already be bounded by its length field.
    static func parse(profile: UInt16, block: ArraySlice<UInt8>) throws -> [RTPHeaderExtension] {
        if profile == oneByteProfile {
            return try parseOneByte(block)
        } else if isTwoByte(profile) {
            return try parseTwoByte(block)
        }
        return [RTPHeaderExtension(id: 0, data: block)]
    }

    private static func parseOneByte(_ block: ArraySlice<UInt8>) throws -> [RTPHeaderExtension] {
        var elements: [RTPHeaderExtension] = []
        var index = block.startIndex
        while index < block.endIndex {
            let header = block[index]
            let id = header >> 4
            // Id 0 is padding (RFC 8285 §4.2), one byte whatever its length nibble says: kept as an element
            // it would read as the raw block of an unknown profile (id 0 here) and serialize as one.
            if id == 0 {
                index += 1
                continue
            }
            // RFC 8285 §4.2: id 15 is reserved and stops processing, its length ignored.
            if id == 15 { break }
            let length = Int(header & 0x0F) + 1
            let start = index + 1
            guard block.endIndex - start >= length else {
                throw ParseError("RTP extension \(id): needs \(length) bytes, have \(block.endIndex - start)")
            }
            elements.append(RTPHeaderExtension(id: id, data: block[start..<start + length]))
            index = start + length
        }
        return elements
    }

    private static func parseTwoByte(_ block: ArraySlice<UInt8>) throws -> [RTPHeaderExtension] {
        var elements: [RTPHeaderExtension] = []
        var index = block.startIndex
        while index < block.endIndex {
            let id = block[index]
            if id == 0 {
                index += 1
                continue
            }
            guard block.endIndex - index >= 2 else { throw ParseError("RTP extension \(id): missing length") }
            let length = Int(block[index + 1])
            let start = index + 2
            guard block.endIndex - start >= length else {
                throw ParseError("RTP extension \(id): needs \(length) bytes, have \(block.endIndex - start)")
            }
            elements.append(RTPHeaderExtension(id: id, data: block[start..<start + length]))
            index = start + length
        }
        return elements
    }

    /// Bytes of the block body before padding to a 32-bit boundary.
    static func unpaddedLength(_ extensions: [RTPHeaderExtension], profile: UInt16) -> Int {
        if profile == oneByteProfile {
            return extensions.reduce(0) { $0 + 1 + $1.data.count }
        } else if isTwoByte(profile) {
            return extensions.reduce(0) { $0 + 2 + $1.data.count }
        }
        return extensions.reduce(0) { $0 + $1.data.count }
    }

    static func write(_ extensions: [RTPHeaderExtension], profile: UInt16, to writer: inout ByteWriter) {
        let length = unpaddedLength(extensions, profile: profile)
        let padded = (length + 3) & ~3
        writer.write(profile)
        writer.write(UInt16(truncatingIfNeeded: padded / 4))
        for element in extensions {
            if profile == oneByteProfile {
                writer.write(element.id << 4 | UInt8(truncatingIfNeeded: element.data.count - 1) & 0x0F)
            } else if isTwoByte(profile) {
                writer.write(element.id)
                writer.write(UInt8(truncatingIfNeeded: element.data.count))
            }
            writer.write(contentsOf: element.data)
        }
        writer.writeZeros(padded - length)
    }
}
