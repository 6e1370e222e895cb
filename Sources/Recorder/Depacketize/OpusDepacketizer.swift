import Mesh

/// Opus over RTP (RFC 7587): each packet's payload is one whole Opus packet. One that breaks
/// Opus' framing rules is refused here, so the jitter buffer counts it as malformed and skips it.
public struct OpusDepacketizer: Depacketizer {
    public init() {}

    public var isVideo: Bool { false }

    public func fragment(of packet: RTPPacket) throws -> PayloadFragment {
        try OpusPacketStructure.check(packet.payload)
        return PayloadFragment(data: packet.payload, isFrameStart: true, isFrameEnd: true, isKeyframe: true)
    }
}
