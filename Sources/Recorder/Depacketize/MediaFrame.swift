import Mesh

/// One encoded audio or video frame, reassembled from the RTP packets sharing its timestamp.
public struct MediaFrame: Sendable, Equatable {
    /// The codec bitstream: a VP8/VP9 frame (a VP9 superframe when it had several spatial
    /// layers) or one Opus packet, as a decoder or a WebM SimpleBlock wants it.
    public var data: [UInt8]
    public var rtpTimestamp: UInt32
    public var isKeyframe: Bool
    /// Set on keyframes whose header declares a size; nil on delta frames, which keep the
    /// last keyframe's size.
    public var width: Int?
    public var height: Int?
    /// Extended sequence numbers (see `SequenceUnwrapper`) of the first and last packet.
    public var firstSequence: UInt64
    public var lastSequence: UInt64
    /// When the last of its packets arrived, i.e. when the frame became complete.
    public var receivedAt: Timestamp

    public init(
        data: [UInt8], rtpTimestamp: UInt32, isKeyframe: Bool, width: Int? = nil, height: Int? = nil,
        firstSequence: UInt64, lastSequence: UInt64, receivedAt: Timestamp
    ) {
        self.data = data
        self.rtpTimestamp = rtpTimestamp
        self.isKeyframe = isKeyframe
        self.width = width
        self.height = height
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.receivedAt = receivedAt
    }
}
