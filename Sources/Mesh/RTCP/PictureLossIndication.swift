/// PLI: the receiver lost picture data and needs a keyframe (RFC 4585 section 6.3.1),
/// a PSFB (PT 206) with FMT 1 and no FCI.
///
///     sender SSRC | media SSRC
public struct PictureLossIndication: RTCPMessage {
    public static let format: UInt8 = 1

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    public var packetType: UInt8 { RTCPPacketType.payloadFeedback }
    public var countOrFormat: UInt8 { Self.format }

    public static func parseBody(_ reader: inout ByteReader, countOrFormat: UInt8) throws -> PictureLossIndication {
        let sources = try FeedbackSources.parse(&reader)
        // RFC 4585 defines no FCI for PLI; tolerate any a sender adds.
        _ = reader.readRest()
        return PictureLossIndication(senderSSRC: sources.sender, mediaSSRC: sources.media)
    }

    public func writeBody(into writer: inout ByteWriter) {
        writer.write(senderSSRC)
        writer.write(mediaSSRC)
    }
}
