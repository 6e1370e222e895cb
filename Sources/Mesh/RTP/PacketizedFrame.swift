/// One frame of our own media (the bot's tile), packetized once for every connection that sends it:
/// the RTP payloads in sending order, VP8 payload descriptors included, and the frame's RTP timestamp.
/// A connection adds only what is its own: the RTP header (its SSRC, sequence number and payload type)
/// and SRTP (`PeerConnection.send(_:at:)`).
public struct PacketizedFrame: Sendable {
    public let kind: MediaTrack.Kind
    public let rtpTimestamp: UInt32
    public let payloads: [[UInt8]]

    public init(kind: MediaTrack.Kind, rtpTimestamp: UInt32, payloads: [[UInt8]]) {
        self.kind = kind
        self.rtpTimestamp = rtpTimestamp
        self.payloads = payloads
    }
}

/// Packetizes the frames of one source (the tile) once for all its connections. The VP8 picture ID
/// runs on across the source's frames, so a connection that joins later sees it start anywhere,
/// as receivers expect of any sender.
public struct FramePacketizer: Sendable {
    private var video: VP8Packetizer

    public init(video: VP8Packetizer = VP8Packetizer()) { self.video = video }

    /// Video is split into VP8 payloads; an audio frame (Opus) is one payload.
    public mutating func packetize(_ frame: [UInt8], kind: MediaTrack.Kind, rtpTimestamp: UInt32) -> PacketizedFrame {
        let payloads = kind == .video ? video.packetize(frame[...]) : [frame]
        return PacketizedFrame(kind: kind, rtpTimestamp: rtpTimestamp, payloads: payloads)
    }
}
