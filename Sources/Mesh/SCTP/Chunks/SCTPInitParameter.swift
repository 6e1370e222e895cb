/// The optional parameters of INIT and INIT ACK that a WebRTC association meets
/// (RFC 4960 3.3.2-3, RFC 3758, RFC 5061); anything else is carried as `.unknown`.
public enum SCTPInitParameter: Equatable, Sendable {
    /// Opaque to the receiver of INIT ACK, echoed back in COOKIE ECHO.
    case stateCookie([UInt8])
    /// Chunk types beyond RFC 4960 the sender understands (RFC 5061 4.2.7).
    case supportedExtensions([UInt8])
    /// The sender accepts FORWARD TSN (RFC 3758 3.1), which partially reliable channels need.
    case forwardTSNSupported
    case unknown(type: UInt16, value: [UInt8])

    public static let stateCookieType: UInt16 = 7
    public static let supportedExtensionsType: UInt16 = 0x8008
    public static let forwardTSNSupportedType: UInt16 = 0xc000

    var tlv: SCTPTLV {
        switch self {
        case .stateCookie(let cookie): SCTPTLV(type: Self.stateCookieType, value: cookie)
        case .supportedExtensions(let types): SCTPTLV(type: Self.supportedExtensionsType, value: types)
        case .forwardTSNSupported: SCTPTLV(type: Self.forwardTSNSupportedType, value: [])
        case .unknown(let type, let value): SCTPTLV(type: type, value: value)
        }
    }

    init(_ tlv: SCTPTLV) {
        switch tlv.type {
        case Self.stateCookieType: self = .stateCookie(tlv.value)
        case Self.supportedExtensionsType: self = .supportedExtensions(tlv.value)
        case Self.forwardTSNSupportedType where tlv.value.isEmpty: self = .forwardTSNSupported
        default: self = .unknown(type: tlv.type, value: tlv.value)
        }
    }
}

/// The fixed part shared by INIT and INIT ACK; they differ only in type code and which
/// parameters are mandatory.
///
///     initiate tag (32) | advertised receiver window credit (32)
///     number of outbound streams (16) | number of inbound streams (16) | initial TSN (32) | parameters
public struct SCTPInitFields: Equatable, Sendable {
    public var initiateTag: UInt32
    public var advertisedReceiverWindowCredit: UInt32
    public var outboundStreams: UInt16
    public var inboundStreams: UInt16
    public var initialTSN: UInt32
    public var parameters: [SCTPInitParameter]

    public init(
        initiateTag: UInt32, advertisedReceiverWindowCredit: UInt32, outboundStreams: UInt16, inboundStreams: UInt16,
        initialTSN: UInt32, parameters: [SCTPInitParameter] = []
    ) {
        self.initiateTag = initiateTag
        self.advertisedReceiverWindowCredit = advertisedReceiverWindowCredit
        self.outboundStreams = outboundStreams
        self.inboundStreams = inboundStreams
        self.initialTSN = initialTSN
        self.parameters = parameters
    }

    static func parse(_ value: ArraySlice<UInt8>, what: String) throws -> SCTPInitFields {
        var reader = ByteReader(value)
        let fields = SCTPInitFields(
            initiateTag: try reader.readUInt32(), advertisedReceiverWindowCredit: try reader.readUInt32(),
            outboundStreams: try reader.readUInt16(), inboundStreams: try reader.readUInt16(),
            initialTSN: try reader.readUInt32(),
            parameters: try SCTPTLV.parseAll(reader.readRest(), what: "\(what) parameter").map(SCTPInitParameter.init))
        // RFC 4960 3.3.2: a zero tag would make the peer's packets indistinguishable from INITs,
        // and zero streams leave nothing to send on.
        guard fields.initiateTag != 0 else { throw ParseError("SCTP: \(what) with initiate tag 0") }
        guard fields.outboundStreams != 0, fields.inboundStreams != 0 else {
            throw ParseError("SCTP: \(what) with zero streams")
        }
        return fields
    }

    func write(into writer: inout ByteWriter) {
        writer.write(initiateTag)
        writer.write(advertisedReceiverWindowCredit)
        writer.write(outboundStreams)
        writer.write(inboundStreams)
        writer.write(initialTSN)
        SCTPTLV.writeAll(parameters.map(\.tlv), into: &writer)
    }

    public var stateCookie: [UInt8]? {
        for case .stateCookie(let cookie) in parameters { return cookie }
        return nil
    }

    public var supportsForwardTSN: Bool {
        parameters.contains { parameter in
            switch parameter {
            case .forwardTSNSupported: true
            case .supportedExtensions(let types): types.contains(SCTPChunkType.forwardTSN)
            default: false
            }
        }
    }

    public var supportsReconfig: Bool {
        parameters.contains { parameter in
            if case .supportedExtensions(let types) = parameter { return types.contains(SCTPChunkType.reconfig) }
            return false
        }
    }
}
