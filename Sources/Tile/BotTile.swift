import Mesh

/// One piece of the bot's outgoing media, ready to packetise.
public enum TileMedia: Sendable, Equatable {
    /// A VP8 frame and its RTP timestamp on the 90 kHz video clock.
    case video(EncodedFrame, rtpTimestamp: UInt32)
    /// One 20 ms Opus packet and its RTP timestamp on the 48 kHz audio clock.
    case audio([UInt8], rtpTimestamp: UInt32)
}

public struct BotTileConfiguration: Sendable, Equatable {
    public var botName: String
    public var title: String
    public var width: Int
    public var height: Int
    public var fps: Int
    public var videoBitrateKbps: Int
    public var audioChannels: Int
    public var audioBitrate: Int
    /// Where each RTP clock starts. RFC 3550 wants these random; the caller draws them, as this code has no randomness.
    public var videoRTPTimestampOffset: UInt32
    public var audioRTPTimestampOffset: UInt32
    /// A slot this late is dropped instead of sent, so a stalled caller gets the current frame, not a burst of old ones.
    public var maximumLateness: Duration

    public init(
        botName: String, title: String = SlateRenderer.defaultTitle, width: Int = 320, height: Int = 180, fps: Int = 5,
        videoBitrateKbps: Int = 150, audioChannels: Int = 2, audioBitrate: Int = 32_000,
        videoRTPTimestampOffset: UInt32 = 0, audioRTPTimestampOffset: UInt32 = 0, maximumLateness: Duration = .milliseconds(200)
    ) {
        self.botName = botName
        self.title = title
        self.width = width
        self.height = height
        self.fps = fps
        self.videoBitrateKbps = videoBitrateKbps
        self.audioChannels = audioChannels
        self.audioBitrate = audioBitrate
        self.videoRTPTimestampOffset = videoRTPTimestampOffset
        self.audioRTPTimestampOffset = audioRTPTimestampOffset
        self.maximumLateness = maximumLateness
    }
}

/// Counts that say whether the tile keeps up and stays cheap.
public struct BotTileStatistics: Sendable, Equatable {
    public var videoFrames = 0
    public var keyframes = 0
    public var audioFrames = 0
    /// Redraws of the slate: one per change of the displayed text, about one a second.
    public var renders = 0
    /// Slots skipped because the caller polled more than `maximumLateness` after them.
    public var videoSlotsSkipped = 0
    public var audioSlotsSkipped = 0
    public var videoEncodeFailures = 0
    public var audioEncodeFailures = 0
    /// Audio slots passed over because the settled silence had only a DTX packet for them (see `poll`).
    public var audioSlotsLeftSilent = 0

    public init() {}
}

/// The bot's own camera and microphone, sans-IO: a slate video at a steady frame rate and 20 ms Opus silence.
///
/// Contract: call `poll(at: now)` until it returns nil, then wait until `nextDeadline` and poll again.
/// Media comes out in due order, each piece stamped on its RTP clock from the slot it fills, not from `now`,
/// so timestamps advance by exactly 90000/fps and 960 however late the caller polls. A caller more than
/// `maximumLateness` behind skips the missed slots (their timestamps are skipped too, as a real sender's would be).
///
/// The slate shows the time elapsed since `start` at each frame's slot; it is redrawn when that text changes
/// and every frame is encoded, because VP8 receivers expect a steady rate and an unchanged frame costs little.
///
/// Not thread-safe; one owner calls it.
public final class BotTile {
    public let configuration: BotTileConfiguration
    public let start: Timestamp
    public private(set) var statistics = BotTileStatistics()

    private var renderer: SlateRenderer
    private let videoEncoder: VP8Encoder
    private let audioSilence: OpusSilence
    private var videoSlot: Int64 = 0
    private var audioSlot: Int64 = 0
    private var keyframeRequested = false

    static let audioFrameNanoseconds: Int64 = 20_000_000
    static let audioSamplesPerFrame = Int64(OpusEncoder.samplesPerChannelPerFrame)

    public init(configuration: BotTileConfiguration, start: Timestamp) throws {
        self.configuration = configuration
        self.start = start
        renderer = SlateRenderer(width: configuration.width, height: configuration.height)
        videoEncoder = try VP8Encoder(
            width: configuration.width, height: configuration.height, fps: configuration.fps,
            bitrateKbps: configuration.videoBitrateKbps)
        // The tile only ever sends silence, where libopus's analysis effort buys nothing; 1 halves its cost against 5.
        audioSilence = try OpusSilence(
            channels: configuration.audioChannels, bitrate: configuration.audioBitrate, complexity: 1)
    }

    /// Samples per channel the Opus encoder delays its output by, for an OpusHead when recording the tile itself.
    public var audioLookahead: Int { audioSilence.lookahead }

    /// What the slate showed in the last video frame.
    public var slateContent: SlateRenderer.Content? { renderer.content }

    /// When the next piece of media is due.
    public var nextDeadline: Deadline {
        let video = videoSlotTime(videoSlot), audio = audioSlotTime(audioSlot)
        return video <= audio ? Deadline(at: video, reason: "tile video frame") : Deadline(at: audio, reason: "tile audio frame")
    }

    /// The next piece of media due at or before `now`, or nil when nothing is due until `nextDeadline`.
    ///
    /// Once the silence settled (`OpusSilence`), the audio slots whose packet would only say "still silent"
    /// are passed over, their timestamps too: a sender may leave those out (RFC 7587 §3.1.3), and the caller
    /// then wakes for a comfort-noise update every 400 ms instead of for every 20 ms slot.
    public func poll(at now: Timestamp) -> TileMedia? {
        skipSlotsOlderThan(now)
        leaveOutSilentAudioSlots()
        while true {
            let videoTime = videoSlotTime(videoSlot), audioTime = audioSlotTime(audioSlot)
            // Audio first on a tie: it is small, and a late audio packet is heard while a late frame is barely seen.
            if audioTime <= now, audioTime <= videoTime {
                if let media = nextAudio() { return media }
            } else if videoTime <= now {
                if let media = nextVideo(at: videoTime) { return media }
            } else {
                return nil
            }
        }
    }

    /// Sends a keyframe next, e.g. after a PLI or FIR. Several requests before that frame coalesce into one.
    public func requestKeyframe() {
        keyframeRequested = true
    }

    private func nextVideo(at slotTime: Timestamp) -> TileMedia? {
        let slot = videoSlot
        videoSlot += 1
        let elapsed = slotTime - start
        let content = SlateRenderer.Content(
            title: configuration.title, botName: configuration.botName,
            elapsedSeconds: Int(max(0, elapsed.nanoseconds) / 1_000_000_000))
        if renderer.render(content) { statistics.renders += 1 }
        let pts = slot * 90_000 / Int64(configuration.fps)
        let forceKeyframe = keyframeRequested || slot == 0
        do {
            guard let frame = try videoEncoder.encode(renderer.frame, pts: pts, forceKeyframe: forceKeyframe).last else {
                return nil
            }
            keyframeRequested = false
            statistics.videoFrames += 1
            if frame.isKeyframe { statistics.keyframes += 1 }
            let rtpTimestamp = configuration.videoRTPTimestampOffset &+ UInt32(truncatingIfNeeded: pts)
            return .video(frame, rtpTimestamp: rtpTimestamp)
        } catch {
            // The frame is lost, so the next one must not reference it.
            statistics.videoEncodeFailures += 1
            keyframeRequested = true
            return nil
        }
    }

    private func nextAudio() -> TileMedia? {
        let slot = audioSlot
        audioSlot += 1
        do {
            let packet = try audioSilence.next()
            statistics.audioFrames += 1
            defer { leaveOutSilentAudioSlots() }
            let rtpTimestamp = configuration.audioRTPTimestampOffset
                &+ UInt32(truncatingIfNeeded: slot * Self.audioSamplesPerFrame)
            return .audio(packet, rtpTimestamp: rtpTimestamp)
        } catch {
            statistics.audioEncodeFailures += 1
            return nil
        }
    }

    private func leaveOutSilentAudioSlots() {
        let silent = audioSilence.discontinuousPacketsAhead
        guard silent > 0 else { return }
        audioSilence.skip(silent)
        audioSlot += Int64(silent)
        statistics.audioSlotsLeftSilent += silent
    }

    private func skipSlotsOlderThan(_ now: Timestamp) {
        let lateness = configuration.maximumLateness.nanoseconds
        let sinceStart = (now - start).nanoseconds
        guard sinceStart >= 0 else { return }
        // Each target is the first slot still on time: the first whose time is at or after now - lateness.
        // Skipping slots breaks no reference chain (no encoded frame is lost), so no keyframe is needed.
        if (now - videoSlotTime(videoSlot)).nanoseconds > lateness {
            let target = Self.ceilDivide((sinceStart - lateness) * Int64(configuration.fps), 1_000_000_000)
            if target > videoSlot {
                statistics.videoSlotsSkipped += Int(target - videoSlot)
                videoSlot = target
            }
        }
        if (now - audioSlotTime(audioSlot)).nanoseconds > lateness {
            let target = Self.ceilDivide(sinceStart - lateness, Self.audioFrameNanoseconds)
            if target > audioSlot {
                statistics.audioSlotsSkipped += Int(target - audioSlot)
                audioSlot = target
            }
        }
    }

    private func videoSlotTime(_ slot: Int64) -> Timestamp {
        // Computed from the slot number, not accumulated, so 1/fps never drifts by rounding.
        start + .nanoseconds(slot * 1_000_000_000 / Int64(configuration.fps))
    }

    private func audioSlotTime(_ slot: Int64) -> Timestamp {
        start + .nanoseconds(slot * Self.audioFrameNanoseconds)
    }

    private static func ceilDivide(_ numerator: Int64, _ denominator: Int64) -> Int64 {
        numerator >= 0 ? (numerator + denominator - 1) / denominator : -((-numerator) / denominator)
    }
}
