import Mesh

/// Opus over RTP (RFC 7587): each packet's payload is one whole Opus packet.
public struct OpusDepacketizer: Depacketizer {
    public init() {}

    public var isVideo: Bool { false }

    public func fragment(of packet: RTPPacket) throws -> PayloadFragment {
        PayloadFragment(data: packet.payload, isFrameStart: true, isFrameEnd: true, isKeyframe: true)
    }
}
