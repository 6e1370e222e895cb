import Mesh

/// Anything that produces a participant's outgoing camera and microphone on a schedule, sans-IO.
///
/// The contract is `BotTile`'s: call `poll(at: now)` until it returns nil, then wait until `nextDeadline`
/// and poll again. The bot's slate, a synthetic participant's live test pattern and a replayed clip all
/// fit it, so one broadcaster sends any of them.
public protocol TileMediaSource: AnyObject {
    var nextDeadline: Deadline { get }
    func poll(at now: Timestamp) -> TileMedia?
    /// The next video frame sent should be a keyframe (a peer joined or lost our picture).
    func requestKeyframe()
}

extension BotTile: TileMediaSource {}

/// Slots of a steady video frame rate and of 20 ms audio packets, due in order, with late slots skipped.
///
/// Slot times are computed from the slot number (never accumulated), so 1/fps does not drift. A caller
/// more than `maximumLateness` behind skips the missed slots instead of bursting them: a real sender
/// that stalls also leaves a gap in its timestamps rather than sending old frames fast.
public struct MediaPacing: Sendable, Equatable {
    public enum Slot: Sendable, Equatable {
        case video(index: Int64)
        case audio(index: Int64)
    }

    public let start: Timestamp
    public let fps: Int
    public let maximumLateness: Duration
    public private(set) var videoSlot: Int64 = 0
    public private(set) var audioSlot: Int64 = 0
    public private(set) var skippedVideoSlots = 0
    public private(set) var skippedAudioSlots = 0

    static let audioFrameNanoseconds: Int64 = 20_000_000

    public init(start: Timestamp, fps: Int, maximumLateness: Duration = .milliseconds(200)) {
        precondition(fps > 0, "a frame rate must be positive")
        self.start = start
        self.fps = fps
        self.maximumLateness = maximumLateness
    }

    public var nextDeadline: Deadline {
        let video = videoTime(videoSlot), audio = audioTime(audioSlot)
        return video <= audio ? Deadline(at: video, reason: "video frame") : Deadline(at: audio, reason: "audio frame")
    }

    /// The next slot due at `now`, audio first on a tie (a late audio packet is heard, a late frame barely seen).
    public mutating func next(at now: Timestamp) -> Slot? {
        skipSlotsOlderThan(now)
        let video = videoTime(videoSlot), audio = audioTime(audioSlot)
        if audio <= now, audio <= video {
            defer { audioSlot += 1 }
            return .audio(index: audioSlot)
        }
        if video <= now {
            defer { videoSlot += 1 }
            return .video(index: videoSlot)
        }
        return nil
    }

    public func videoTime(_ slot: Int64) -> Timestamp { start + .nanoseconds(slot * 1_000_000_000 / Int64(fps)) }
    public func audioTime(_ slot: Int64) -> Timestamp { start + .nanoseconds(slot * Self.audioFrameNanoseconds) }

    private mutating func skipSlotsOlderThan(_ now: Timestamp) {
        let earliest = Timestamp(nanoseconds: now.nanoseconds - maximumLateness.nanoseconds)
        let sinceStart = (earliest - start).nanoseconds
        guard sinceStart > 0 else { return }
        // The first slot still on time is the first whose time is at or after now - lateness.
        let videoTarget = (sinceStart * Int64(fps) + 999_999_999) / 1_000_000_000
        if videoTarget > videoSlot {
            skippedVideoSlots += Int(videoTarget - videoSlot)
            videoSlot = videoTarget
        }
        let audioTarget = (sinceStart + Self.audioFrameNanoseconds - 1) / Self.audioFrameNanoseconds
        if audioTarget > audioSlot {
            skippedAudioSlots += Int(audioTarget - audioSlot)
            audioSlot = audioTarget
        }
    }
}
