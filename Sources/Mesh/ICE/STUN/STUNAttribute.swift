/// One STUN attribute (type, length, value padded to 4 bytes) that ICE cares about; anything
/// else is kept raw so that it survives a decode/encode round trip.
///
/// MESSAGE-INTEGRITY and FINGERPRINT are handled by `STUNMessage` itself.
public enum STUNAttribute: Equatable, Sendable {
    case mappedAddress(TransportAddress)
    case xorMappedAddress(TransportAddress)
    case username(String)
    case errorCode(code: Int, reason: String)
    case unknownAttributes([UInt16])
    /// RFC 8445 §7.1.1: the priority a peer-reflexive candidate learned from this check would get.
    case priority(UInt32)
    case useCandidate
    case iceControlled(tieBreaker: UInt64)
    case iceControlling(tieBreaker: UInt64)
    case unknown(type: UInt16, value: [UInt8])

    /// Attribute type codes (RFC 8489 §18.3, RFC 8445 §16.1).
    public enum Kind {
        public static let mappedAddress: UInt16 = 0x0001
        public static let username: UInt16 = 0x0006
        public static let messageIntegrity: UInt16 = 0x0008
        public static let errorCode: UInt16 = 0x0009
        public static let unknownAttributes: UInt16 = 0x000A
        public static let xorMappedAddress: UInt16 = 0x0020
        public static let priority: UInt16 = 0x0024
        public static let useCandidate: UInt16 = 0x0025
        public static let software: UInt16 = 0x8022
        public static let fingerprint: UInt16 = 0x8028
        public static let iceControlled: UInt16 = 0x8029
        public static let iceControlling: UInt16 = 0x802A
    }

    public var type: UInt16 {
        switch self {
        case .mappedAddress: Kind.mappedAddress
        case .xorMappedAddress: Kind.xorMappedAddress
        case .username: Kind.username
        case .errorCode: Kind.errorCode
        case .unknownAttributes: Kind.unknownAttributes
        case .priority: Kind.priority
        case .useCandidate: Kind.useCandidate
        case .iceControlled: Kind.iceControlled
        case .iceControlling: Kind.iceControlling
        case .unknown(let type, _): type
        }
    }

    static func paddingLength(_ valueLength: Int) -> Int { (4 - valueLength % 4) % 4 }

    // MARK: - Encoding

    func encode(into writer: inout ByteWriter, transactionID: STUNTransactionID, paddingByte: UInt8) {
        var value = ByteWriter(capacity: 32)
        switch self {
        case .mappedAddress(let address):
            Self.writeAddress(address, into: &value, xorWith: nil)
        case .xorMappedAddress(let address):
            Self.writeAddress(address, into: &value, xorWith: transactionID)
        case .username(let name):
            value.write(contentsOf: name.utf8)
        case .errorCode(let code, let reason):
            value.write(UInt16(0))
            value.write(UInt8(clamping: code / 100 & 0x07))
            value.write(UInt8(clamping: code % 100))
            value.write(contentsOf: reason.utf8)
        case .unknownAttributes(let types):
            for type in types { value.write(type) }
        case .priority(let priority):
            value.write(priority)
        case .useCandidate:
            break
        case .iceControlled(let tieBreaker), .iceControlling(let tieBreaker):
            value.write(tieBreaker)
        case .unknown(_, let bytes):
            value.write(contentsOf: bytes)
        }
        // A length field cannot say more than 65535; longer values are cut rather than mis-framed.
        let body = value.bytes.prefix(Int(UInt16.max))
        writer.write(type)
        writer.write(UInt16(body.count))
        writer.write(contentsOf: body)
        writer.write(contentsOf: repeatElement(paddingByte, count: Self.paddingLength(body.count)))
    }

    private static func writeAddress(_ address: TransportAddress, into writer: inout ByteWriter, xorWith transactionID: STUNTransactionID?) {
        writer.write(UInt8(0))
        writer.write(UInt8(address.family == .ipv4 ? 0x01 : 0x02))
        guard let transactionID else {
            writer.write(address.port)
            writer.write(contentsOf: address.addressBytes)
            return
        }
        writer.write(address.port ^ UInt16(STUNMessage.magicCookie >> 16))
        let mask = xorMask(transactionID)
        writer.write(contentsOf: zip(address.addressBytes, mask).map { $0 ^ $1 })
    }

    /// The magic cookie followed by the transaction ID: IPv4 uses the first 4 bytes, IPv6 all 16.
    private static func xorMask(_ transactionID: STUNTransactionID) -> [UInt8] {
        let cookie = STUNMessage.magicCookie
        return [UInt8(cookie >> 24), UInt8((cookie >> 16) & 0xFF), UInt8((cookie >> 8) & 0xFF), UInt8(cookie & 0xFF)]
            + transactionID.bytes
    }

    // MARK: - Decoding

    static func decode(type: UInt16, value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws -> STUNAttribute {
        var reader = ByteReader(value)
        switch type {
        case Kind.mappedAddress:
            return .mappedAddress(try readAddress(&reader, xorWith: nil))
        case Kind.xorMappedAddress:
            return .xorMappedAddress(try readAddress(&reader, xorWith: transactionID))
        case Kind.username:
            guard value.count < 513 else { throw ParseError("STUN: USERNAME of 513 bytes or more") }
            return .username(try readUTF8(value, what: "USERNAME"))
        case Kind.errorCode:
            guard value.count >= 4 else { throw ParseError("STUN: ERROR-CODE shorter than 4 bytes") }
            try reader.skip(2)
            let errorClass = Int(try reader.readUInt8() & 0x07)
            let number = Int(try reader.readUInt8())
            guard (3...6).contains(errorClass), number < 100 else {
                throw ParseError("STUN: ERROR-CODE \(errorClass)/\(number) out of range")
            }
            return .errorCode(code: errorClass * 100 + number, reason: try readUTF8(reader.readRest(), what: "reason phrase"))
        case Kind.unknownAttributes:
            guard value.count % 2 == 0 else { throw ParseError("STUN: UNKNOWN-ATTRIBUTES of odd length") }
            var types: [UInt16] = []
            while !reader.isAtEnd { types.append(try reader.readUInt16()) }
            return .unknownAttributes(types)
        case Kind.priority:
            try expectLength(value, 4, "PRIORITY")
            return .priority(try reader.readUInt32())
        case Kind.useCandidate:
            try expectLength(value, 0, "USE-CANDIDATE")
            return .useCandidate
        case Kind.iceControlled:
            try expectLength(value, 8, "ICE-CONTROLLED")
            return .iceControlled(tieBreaker: try reader.readUInt64())
        case Kind.iceControlling:
            try expectLength(value, 8, "ICE-CONTROLLING")
            return .iceControlling(tieBreaker: try reader.readUInt64())
        default:
            return .unknown(type: type, value: Array(value))
        }
    }

    private static func expectLength(_ value: ArraySlice<UInt8>, _ length: Int, _ name: String) throws {
        guard value.count == length else { throw ParseError("STUN: \(name) length \(value.count), expected \(length)") }
    }

    private static func readUTF8(_ bytes: ArraySlice<UInt8>, what: String) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ParseError("STUN: \(what) is not UTF-8") }
        return text
    }

    private static func readAddress(_ reader: inout ByteReader, xorWith transactionID: STUNTransactionID?) throws -> TransportAddress {
        _ = try reader.readUInt8()
        let family = try reader.readUInt8()
        var port = try reader.readUInt16()
        let length: Int
        switch family {
        case 0x01: length = 4
        case 0x02: length = 16
        default: throw ParseError("STUN: address family \(family)")
        }
        var address = Array(try reader.readBytes(length))
        guard reader.isAtEnd else { throw ParseError("STUN: trailing bytes after address") }
        if let transactionID {
            port ^= UInt16(STUNMessage.magicCookie >> 16)
            address = zip(address, xorMask(transactionID)).map { $0 ^ $1 }
        }
        guard let transportAddress = TransportAddress(addressBytes: address, port: port) else {
            throw ParseError("STUN: address of \(address.count) bytes")
        }
        return transportAddress
    }
}
