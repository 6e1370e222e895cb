import Mesh

/// What a `JitterBuffer` hands back from `poll(at:)`.
public enum JitterOutput: Sendable, Equatable {
    case frame(MediaFrame)
    /// Ask the sender for a keyframe (RTCP PLI): a video stream started, lost packets or
    /// restarted. Rate-limited by `JitterBuffer.Configuration.keyframeRequestInterval`.
    case keyframeNeeded(reason: String)
    /// Keyframe requests went unanswered for `fullIntraAfter`: demand one (RTCP FIR), which a sender
    /// that ignores PLIs still obeys. Rate-limited with `keyframeNeeded`.
    case fullIntraNeeded(reason: String)
    /// Packets given up on after waiting, or pushed out by the size cap.
    case lost(count: Int)
}

/// Running totals of one stream, for logs and the recording manifest.
public struct JitterStatistics: Sendable, Equatable {
    public var packetsReceived = 0
    /// Received again while the first copy was still held.
    public var duplicates = 0
    /// Received behind the release point: already released, or already declared lost.
    public var late = 0
    /// Descriptor could not be parsed; the packet counts as lost.
    public var malformed = 0
    public var lost = 0
    public var framesEmitted = 0
    public var framesDropped = 0
    /// Of `framesDropped`: frames that outgrew `FrameAssembler`'s size bounds.
    public var oversizedFrames = 0
    /// Keyframe requests of either kind; the FIRs among them.
    public var keyframeRequests = 0
    public var fullIntraRequests = 0
    /// Sequence jumps taken as a new stream rather than a gap.
    public var restarts = 0

    public init() {}
}
