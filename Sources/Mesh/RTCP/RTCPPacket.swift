/// One packet of an RTCP compound, by what it means.
public enum RTCPPacket: Equatable, Sendable {
    case senderReport(SenderReport)
    case receiverReport(ReceiverReport)
    case sourceDescription(SourceDescription)
    case goodbye(Goodbye)
    case transportLayerNack(TransportLayerNack)
    case pictureLossIndication(PictureLossIndication)
    case fullIntraRequest(FullIntraRequest)
    case receiverEstimatedMaximumBitrate(ReceiverEstimatedMaximumBitrate)
    case transportWideCongestionControl(TransportWideCongestionControl)
    case unknown(UnknownRTCPPacket)

    public var message: any RTCPMessage {
        switch self {
        case .senderReport(let message): message
        case .receiverReport(let message): message
        case .sourceDescription(let message): message
        case .goodbye(let message): message
        case .transportLayerNack(let message): message
        case .pictureLossIndication(let message): message
        case .fullIntraRequest(let message): message
        case .receiverEstimatedMaximumBitrate(let message): message
        case .transportWideCongestionControl(let message): message
        case .unknown(let message): message
        }
    }

    public func write(into writer: inout ByteWriter) { message.write(into: &writer) }
}

/// Several RTCP packets stacked in one datagram (RFC 3550 section 6.1), or a single one
/// under reduced-size RTCP (RFC 5506), which Chromium uses for feedback.
public enum RTCPCompound {
    /// Walks the packets, checking each length against what is left, so a length that
    /// overruns the datagram or a truncated body throws rather than reading past it.
    /// Types and formats it does not know come back as `.unknown`.
    public static func parse(_ bytes: [UInt8]) throws -> [RTCPPacket] { try parse(bytes[...]) }

    public static func parse(_ bytes: ArraySlice<UInt8>) throws -> [RTCPPacket] {
        guard !bytes.isEmpty else { throw ParseError("RTCP: empty packet") }
        var reader = ByteReader(bytes)
        var packets: [RTCPPacket] = []
        while !reader.isAtEnd {
            let start = reader.position
            let header = try RTCPHeader.parse(&reader)
            let bodySize = header.packetSize - RTCPHeader.size
            guard reader.remaining >= bodySize else {
                throw ParseError(
                    "RTCP: packet at \(start) claims \(header.packetSize) bytes, \(reader.remaining + 4) left")
            }
            var body = try reader.readBytes(bodySize)
            if header.hasPadding {
                // The last octet counts the padding, itself included (RFC 3550 section 6.4.1).
                guard let padding = body.last, padding > 0, Int(padding) <= body.count else {
                    throw ParseError("RTCP: bad padding in packet at \(start)")
                }
                body = body.dropLast(Int(padding))
            }
            packets.append(try packet(header: header, body: body))
        }
        return packets
    }

    public static func serialize(_ packets: [RTCPPacket]) -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        for packet in packets { packet.write(into: &writer) }
        return writer.bytes
    }

    static func packet(header: RTCPHeader, body: ArraySlice<UInt8>) throws -> RTCPPacket {
        func parsed<M: RTCPMessage>(_ type: M.Type) throws -> M {
            var reader = ByteReader(body)
            return try M.parseBody(&reader, countOrFormat: header.countOrFormat)
        }
        switch (header.packetType, header.countOrFormat) {
        case (RTCPPacketType.senderReport, _): return .senderReport(try parsed(SenderReport.self))
        case (RTCPPacketType.receiverReport, _): return .receiverReport(try parsed(ReceiverReport.self))
        case (RTCPPacketType.sourceDescription, _): return .sourceDescription(try parsed(SourceDescription.self))
        case (RTCPPacketType.goodbye, _): return .goodbye(try parsed(Goodbye.self))
        case (RTCPPacketType.transportFeedback, TransportLayerNack.format):
            return .transportLayerNack(try parsed(TransportLayerNack.self))
        case (RTCPPacketType.transportFeedback, TransportWideCongestionControl.format):
            return .transportWideCongestionControl(try parsed(TransportWideCongestionControl.self))
        case (RTCPPacketType.payloadFeedback, PictureLossIndication.format):
            return .pictureLossIndication(try parsed(PictureLossIndication.self))
        case (RTCPPacketType.payloadFeedback, FullIntraRequest.format):
            return .fullIntraRequest(try parsed(FullIntraRequest.self))
        case (RTCPPacketType.payloadFeedback, ReceiverEstimatedMaximumBitrate.format)
        where ReceiverEstimatedMaximumBitrate.matches(body):
            return .receiverEstimatedMaximumBitrate(try parsed(ReceiverEstimatedMaximumBitrate.self))
        default:
            return .unknown(
                UnknownRTCPPacket(packetType: header.packetType, countOrFormat: header.countOrFormat, body: Array(body))
            )
        }
    }
}
