/// The RTP retransmission payload format (RFC 4588): a lost packet sent again on its own SSRC and payload
/// type, its original sequence number (OSN) in the first two payload bytes.
///
///      0                   1                   2                   3
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                         RTP Header                            |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |            OSN                |                               |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
///     |                  Original RTP Packet Payload                  |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// The RTX payload type is tied to its media payload type by `a=fmtp:<rtx> apt=<media>`, the RTX SSRC to
/// the media SSRC by `a=ssrc-group:FID <media> <rtx>`. Timestamp, marker, CSRCs and header extensions
/// are the original packet's.
public enum RetransmissionPayload {
    /// The original packet inside an RTX packet; nil for one that carries none (a padding-only bandwidth probe).
    public static func unwrap(_ packet: RTPPacket, mediaPayloadType: UInt8, mediaSSRC: UInt32) -> RTPPacket? {
        let payload = packet.payload
        guard payload.count >= 2 else { return nil }
        var original = packet
        original.payloadType = mediaPayloadType
        original.ssrc = mediaSSRC
        original.sequenceNumber = UInt16(payload[payload.startIndex]) << 8 | UInt16(payload[payload.startIndex + 1])
        original.payload = payload.dropFirst(2)
        original.paddingLength = 0
        return original
    }

    /// `original` wrapped for the RTX stream.
    public static func wrap(_ original: RTPPacket, payloadType: UInt8, ssrc: UInt32, sequenceNumber: UInt16) -> RTPPacket {
        var payload: [UInt8] = []
        payload.reserveCapacity(original.payload.count + 2)
        payload.append(UInt8(truncatingIfNeeded: original.sequenceNumber >> 8))
        payload.append(UInt8(truncatingIfNeeded: original.sequenceNumber))
        payload.append(contentsOf: original.payload)
        var packet = original
        packet.payloadType = payloadType
        packet.ssrc = ssrc
        packet.sequenceNumber = sequenceNumber
        packet.payload = payload[...]
        packet.paddingLength = 0
        return packet
    }
}
