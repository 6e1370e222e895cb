/// A STUN message (RFC 8489, formerly RFC 5389).
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |0 0|     STUN Message Type     |         Message Length        |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                         Magic Cookie                          |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                     Transaction ID (96 bits)                  |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                  Attributes (TLV, 4-byte aligned)             |
///
/// MESSAGE-INTEGRITY and FINGERPRINT are not part of `attributes`: they depend on the bytes
/// around them, so `encode` appends them and `decode` checks them.
public struct STUNMessage: Sendable, CustomStringConvertible {
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerLength = 20
    /// XORed into the CRC so that a STUN FINGERPRINT never matches another protocol's CRC-32.
    static let fingerprintXOR: UInt32 = 0x5354_554E

    public enum MessageClass: UInt8, Sendable {
        case request = 0b00
        case indication = 0b01
        case successResponse = 0b10
        case errorResponse = 0b11
    }

    /// A 12-bit STUN method; ICE only uses Binding.
    public struct Method: RawRepresentable, Hashable, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }
        public static let binding = Method(rawValue: 0x001)
    }

    public var messageClass: MessageClass
    public var method: Method
    public var transactionID: STUNTransactionID
    public var attributes: [STUNAttribute]

    /// The MESSAGE-INTEGRITY value of a decoded message, if it carried one.
    public private(set) var messageIntegrity: [UInt8]?
    /// Whether a decoded message carried a FINGERPRINT (which `decode` has already verified).
    public private(set) var hasFingerprint: Bool = false
    /// The bytes a received MESSAGE-INTEGRITY covers, length field already adjusted (RFC 5389 §15.4).
    private var integrityInput: [UInt8]?

    public init(
        _ messageClass: MessageClass, method: Method = .binding,
        transactionID: STUNTransactionID, attributes: [STUNAttribute] = []
    ) {
        self.messageClass = messageClass
        self.method = method
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// The RFC 7983 demultiplexing test: first byte 0–3 and the magic cookie in place.
    public static func looksLikeSTUN<C: RandomAccessCollection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        guard bytes.count >= headerLength else { return false }
        let start = bytes.startIndex
        func byte(_ offset: Int) -> UInt8 { bytes[bytes.index(start, offsetBy: offset)] }
        guard byte(0) <= 3 else { return false }
        let cookie = UInt32(byte(4)) << 24 | UInt32(byte(5)) << 16 | UInt32(byte(6)) << 8 | UInt32(byte(7))
        return cookie == magicCookie
    }

    /// The short-term credential key (RFC 8489 §9.1.1): the password itself. ICE passwords are
    /// ice-chars only, which SASLprep/OpaqueString leaves unchanged.
    public static func shortTermKey(password: String) -> [UInt8] { Array(password.utf8) }

    // MARK: - Message type bits

    /// Class bits C1 C0 sit at positions 8 and 4, interleaved with the method's 12 bits.
    var messageType: UInt16 {
        let m = method.rawValue
        let c = UInt16(messageClass.rawValue)
        return (m & 0x000F) | (m & 0x0070) << 1 | (m & 0x0F80) << 2 | (c & 0b01) << 4 | (c & 0b10) << 7
    }

    static func split(messageType type: UInt16) -> (MessageClass, Method) {
        let method = (type & 0x000F) | (type & 0x00E0) >> 1 | (type & 0x3E00) >> 2
        let classBits = UInt8((type & 0x0010) >> 4 | (type & 0x0100) >> 7)
        // Two bits always map onto one of the four classes.
        let messageClass = MessageClass(rawValue: classBits) ?? .request
        return (messageClass, Method(rawValue: method))
    }

    // MARK: - Encoding

    /// Serialises the message, appending MESSAGE-INTEGRITY (HMAC-SHA1 under `integrityKey`) and
    /// FINGERPRINT when asked. `paddingByte` fills attribute padding; RFC 5769's vectors use 0x20.
    public func encode(integrityKey: [UInt8]? = nil, fingerprint: Bool = false, paddingByte: UInt8 = 0) -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writer.write(messageType)
        writer.write(UInt16(0))
        writer.write(Self.magicCookie)
        writer.write(contentsOf: transactionID.bytes)
        for attribute in attributes {
            attribute.encode(into: &writer, transactionID: transactionID, paddingByte: paddingByte)
        }
        if let integrityKey {
            // The HMAC covers a header whose length already counts the MESSAGE-INTEGRITY attribute.
            writer.patch(UInt16(clamping: writer.count - Self.headerLength + 24), at: 2)
            let mac = Crypto.hmacSHA1(key: integrityKey, data: writer.bytes)
            writer.write(STUNAttribute.Kind.messageIntegrity)
            writer.write(UInt16(20))
            writer.write(contentsOf: mac)
        }
        if fingerprint {
            writer.patch(UInt16(clamping: writer.count - Self.headerLength + 8), at: 2)
            let crc = Crypto.crc32(writer.bytes) ^ Self.fingerprintXOR
            writer.write(STUNAttribute.Kind.fingerprint)
            writer.write(UInt16(4))
            writer.write(crc)
        }
        writer.patch(UInt16(clamping: writer.count - Self.headerLength), at: 2)
        return writer.bytes
    }

    // MARK: - Decoding

    /// Parses a whole datagram. Throws on any malformed or truncated input and on a wrong
    /// FINGERPRINT; MESSAGE-INTEGRITY is checked separately with `verifyIntegrity(key:)`
    /// because the key depends on who the message claims to come from.
    public static func decode(_ input: some Collection<UInt8>) throws -> STUNMessage {
        let bytes = Array(input)
        var reader = ByteReader(bytes)
        let type = try reader.readUInt16()
        guard type & 0xC000 == 0 else { throw ParseError("STUN: top two bits of the type must be zero") }
        let length = Int(try reader.readUInt16())
        guard length % 4 == 0 else { throw ParseError("STUN: length \(length) is not a multiple of 4") }
        guard try reader.readUInt32() == magicCookie else { throw ParseError("STUN: no magic cookie") }
        guard let transactionID = STUNTransactionID(bytes: Array(try reader.readBytes(12))) else {
            throw ParseError("STUN: transaction ID")
        }
        guard reader.remaining == length else {
            throw ParseError("STUN: length field says \(length) bytes, \(reader.remaining) follow")
        }

        let (messageClass, method) = split(messageType: type)
        var message = STUNMessage(messageClass, method: method, transactionID: transactionID)
        while !reader.isAtEnd {
            let attributeStart = reader.position
            let attributeType = try reader.readUInt16()
            let valueLength = Int(try reader.readUInt16())
            let value = try reader.readBytes(valueLength)
            try reader.skip(STUNAttribute.paddingLength(valueLength))

            guard !message.hasFingerprint else { throw ParseError("STUN: attribute after FINGERPRINT") }
            switch attributeType {
            case STUNAttribute.Kind.fingerprint:
                guard valueLength == 4 else { throw ParseError("STUN: FINGERPRINT length \(valueLength)") }
                var covered = Array(bytes[..<attributeStart])
                patchLength(&covered, to: attributeStart - headerLength + 8)
                let expected = Crypto.crc32(covered) ^ fingerprintXOR
                var valueReader = ByteReader(value)
                guard try valueReader.readUInt32() == expected else { throw ParseError("STUN: FINGERPRINT mismatch") }
                message.hasFingerprint = true
            case STUNAttribute.Kind.messageIntegrity:
                guard valueLength == 20 else { throw ParseError("STUN: MESSAGE-INTEGRITY length \(valueLength)") }
                guard message.messageIntegrity == nil else { continue }
                var covered = Array(bytes[..<attributeStart])
                patchLength(&covered, to: attributeStart - headerLength + 24)
                message.integrityInput = covered
                message.messageIntegrity = Array(value)
            default:
                // RFC 8489 §14.5: everything between MESSAGE-INTEGRITY and FINGERPRINT is ignored.
                guard message.messageIntegrity == nil else { continue }
                message.attributes.append(try STUNAttribute.decode(
                    type: attributeType, value: value, transactionID: transactionID))
            }
        }
        return message
    }

    private static func patchLength(_ bytes: inout [UInt8], to length: Int) {
        bytes[2] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: length)
    }

    /// Whether a decoded message's MESSAGE-INTEGRITY matches `key`; false when it has none.
    public func verifyIntegrity(key: [UInt8]) -> Bool {
        guard let integrityInput, let messageIntegrity else { return false }
        let expected = Crypto.hmacSHA1(key: key, data: integrityInput)
        guard expected.count == messageIntegrity.count else { return false }
        // Constant time, so that response timing does not leak how much of a forged MAC was right.
        var difference: UInt8 = 0
        for (lhs, rhs) in zip(expected, messageIntegrity) { difference |= lhs ^ rhs }
        return difference == 0
    }

    // MARK: - Attribute accessors

    public var username: String? {
        for case .username(let value) in attributes { return value }
        return nil
    }
    public var xorMappedAddress: TransportAddress? {
        for case .xorMappedAddress(let value) in attributes { return value }
        return nil
    }
    public var mappedAddress: TransportAddress? {
        for case .mappedAddress(let value) in attributes { return value }
        return nil
    }
    public var errorCode: (code: Int, reason: String)? {
        for case .errorCode(let code, let reason) in attributes { return (code, reason) }
        return nil
    }
    public var priority: UInt32? {
        for case .priority(let value) in attributes { return value }
        return nil
    }
    public var useCandidate: Bool { attributes.contains(.useCandidate) }
    public var iceControlling: UInt64? {
        for case .iceControlling(let value) in attributes { return value }
        return nil
    }
    public var iceControlled: UInt64? {
        for case .iceControlled(let value) in attributes { return value }
        return nil
    }
    /// Comprehension-required attribute types (below 0x8000) this implementation does not know.
    public var unknownComprehensionRequired: [UInt16] {
        attributes.compactMap { attribute in
            if case .unknown(let type, _) = attribute, type < 0x8000 { return type }
            return nil
        }
    }

    public var description: String {
        "STUN \(messageClass) method=\(method.rawValue) tid=\(transactionID) \(attributes)"
    }
}

extension STUNMessage: Equatable {
    /// Compares what the message says, not which bytes happened to carry it.
    public static func == (lhs: STUNMessage, rhs: STUNMessage) -> Bool {
        lhs.messageClass == rhs.messageClass && lhs.method == rhs.method
            && lhs.transactionID == rhs.transactionID && lhs.attributes == rhs.attributes
    }
}

/// The 96-bit transaction ID that matches a response to its request.
public struct STUNTransactionID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 12 else { return nil }
        self.bytes = bytes
    }

    public static func random(using generator: inout some RandomNumberGenerator) -> STUNTransactionID {
        let high = generator.next()
        let low = UInt32(truncatingIfNeeded: generator.next())
        var writer = ByteWriter(capacity: 12)
        writer.write(high)
        writer.write(low)
        return STUNTransactionID(unchecked: writer.bytes)
    }

    private init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    public var description: String { bytes.hexString }
}
