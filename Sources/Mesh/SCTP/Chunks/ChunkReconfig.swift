/// RE-CONFIG (RFC 6525 section 3.1): one or two re-configuration parameters. Browsers close a
/// data channel by resetting its stream's outgoing sequence numbers (RFC 8831 section 6.7).
public struct ChunkReconfig: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.reconfig

    public var parameters: [SCTPReconfigParameter]

    public init(parameters: [SCTPReconfigParameter]) { self.parameters = parameters }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkReconfig {
        let fields = try SCTPTLV.parseAll(value, what: "RE-CONFIG parameter")
        guard (1...2).contains(fields.count) else {
            throw ParseError("SCTP: RE-CONFIG with \(fields.count) parameters, expected 1 or 2")
        }
        return ChunkReconfig(parameters: try fields.map(SCTPReconfigParameter.parse))
    }

    public func writeValue(into writer: inout ByteWriter) {
        SCTPTLV.writeAll(parameters.map(\.tlv), into: &writer)
    }
}

/// The RE-CONFIG parameters (RFC 6525 section 4) a data channel needs; the stream-adding and
/// TSN-resetting ones are kept raw.
public enum SCTPReconfigParameter: Equatable, Sendable {
    /// "I will restart these streams' sequence numbers at 0 after my TSN `senderLastTSN`."
    case outgoingSSNResetRequest(
        requestSequenceNumber: UInt32, responseSequenceNumber: UInt32, senderLastTSN: UInt32, streams: [UInt16])
    /// "Please reset your outgoing side of these streams."
    case incomingSSNResetRequest(requestSequenceNumber: UInt32, streams: [UInt16])
    case response(responseSequenceNumber: UInt32, result: SCTPReconfigResult)
    case unknown(type: UInt16, value: [UInt8])

    public static let outgoingSSNResetRequestType: UInt16 = 13
    public static let incomingSSNResetRequestType: UInt16 = 14
    public static let responseType: UInt16 = 16

    var tlv: SCTPTLV {
        var writer = ByteWriter()
        switch self {
        case .outgoingSSNResetRequest(let request, let response, let lastTSN, let streams):
            writer.write(request)
            writer.write(response)
            writer.write(lastTSN)
            for stream in streams { writer.write(stream) }
            return SCTPTLV(type: Self.outgoingSSNResetRequestType, value: writer.bytes)
        case .incomingSSNResetRequest(let request, let streams):
            writer.write(request)
            for stream in streams { writer.write(stream) }
            return SCTPTLV(type: Self.incomingSSNResetRequestType, value: writer.bytes)
        case .response(let response, let result):
            writer.write(response)
            writer.write(result.rawValue)
            return SCTPTLV(type: Self.responseType, value: writer.bytes)
        case .unknown(let type, let value):
            return SCTPTLV(type: type, value: value)
        }
    }

    static func parse(_ tlv: SCTPTLV) throws -> SCTPReconfigParameter {
        var reader = ByteReader(tlv.value)
        switch tlv.type {
        case outgoingSSNResetRequestType:
            let request = try reader.readUInt32()
            let response = try reader.readUInt32()
            let lastTSN = try reader.readUInt32()
            return .outgoingSSNResetRequest(
                requestSequenceNumber: request, responseSequenceNumber: response, senderLastTSN: lastTSN,
                streams: try readStreams(&reader))
        case incomingSSNResetRequestType:
            let request = try reader.readUInt32()
            return .incomingSSNResetRequest(requestSequenceNumber: request, streams: try readStreams(&reader))
        case responseType:
            let response = try reader.readUInt32()
            let result = SCTPReconfigResult(rawValue: try reader.readUInt32())
            // The optional sender's/receiver's next TSN only follow an SSN/TSN reset, which we never request.
            guard reader.remaining == 0 || reader.remaining == 8 else {
                throw ParseError("SCTP: RE-CONFIG response with \(reader.remaining) trailing bytes")
            }
            return .response(responseSequenceNumber: response, result: result)
        default:
            return .unknown(type: tlv.type, value: tlv.value)
        }
    }

    private static func readStreams(_ reader: inout ByteReader) throws -> [UInt16] {
        guard reader.remaining % 2 == 0 else { throw ParseError("SCTP: RE-CONFIG stream list has an odd length") }
        var streams: [UInt16] = []
        while !reader.isAtEnd { streams.append(try reader.readUInt16()) }
        return streams
    }
}

/// The outcome of a re-configuration request (RFC 6525 section 4.4).
public struct SCTPReconfigResult: RawRepresentable, Equatable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let successNothingToDo = SCTPReconfigResult(rawValue: 0)
    public static let successPerformed = SCTPReconfigResult(rawValue: 1)
    public static let denied = SCTPReconfigResult(rawValue: 2)
    public static let errorWrongSSN = SCTPReconfigResult(rawValue: 3)
    public static let errorRequestAlreadyInProgress = SCTPReconfigResult(rawValue: 4)
    public static let errorBadSequenceNumber = SCTPReconfigResult(rawValue: 5)
    public static let inProgress = SCTPReconfigResult(rawValue: 6)

    public var description: String {
        switch rawValue {
        case 0: "success, nothing to do"
        case 1: "success, performed"
        case 2: "denied"
        case 3: "error, wrong SSN"
        case 4: "error, request already in progress"
        case 5: "error, bad sequence number"
        case 6: "in progress"
        default: "result \(rawValue)"
        }
    }
}
