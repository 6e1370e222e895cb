import Mesh

/// A few seconds of test-pattern VP8 encoded once, to be replayed in a loop by many senders.
///
/// A load test wants many 1 Mbps streams from one process; encoding each live would cost the sender more
/// than the recorder it measures. The clip has a keyframe every second, so a sender answers a keyframe
/// request within one frame by jumping to the next one, and the loop restarts on a keyframe.
public struct ReplayClip: Sendable {
    public let fps: Int
    public let width: Int
    public let height: Int
    /// Frame i belongs at i/fps seconds.
    public let frames: [EncodedFrame]
    public var duration: Duration { .milliseconds(Int64(frames.count) * 1000 / Int64(fps)) }
    public var averageBitrateKbps: Double {
        let bytes = frames.reduce(0) { $0 + $1.data.count }
        return Double(bytes * 8) / duration.secondsValue / 1000
    }

    public init(fps: Int, width: Int, height: Int, frames: [EncodedFrame]) {
        self.fps = fps
        self.width = width
        self.height = height
        self.frames = frames
    }

    /// Encodes `seconds` of the test pattern; `seconds` is rounded to whole seconds so the loop ends before a keyframe.
    public static func encode(name: String, seconds: Int = 6, width: Int = 640, height: Int = 480, fps: Int = 30,
                              bitrateKbps: Int = 1000) throws -> ReplayClip {
        let count = max(1, seconds) * fps
        let encoder = try VP8Encoder(width: width, height: height, fps: fps, bitrateKbps: bitrateKbps, keyframeIntervalSeconds: 1)
        var renderer = TestPatternRenderer(width: width, height: height)
        var frames: [EncodedFrame] = []
        frames.reserveCapacity(count)
        for index in 0..<count {
            renderer.render(.init(name: name, label: "replay", frameNumber: Int64(index),
                                  elapsedMilliseconds: Int64(index) * 1000 / Int64(fps)))
            let pts = Int64(index) * 90_000 / Int64(fps)
            guard let frame = try encoder.encode(renderer.frame, pts: pts, forceKeyframe: index % fps == 0).last else {
                throw VP8EncoderError.codec(operation: "encode", message: "no frame for slot \(index)")
            }
            frames.append(frame)
        }
        return ReplayClip(fps: fps, width: width, height: height, frames: frames)
    }
}

/// One second of a tone as 50 Opus packets: a participant's voice for replay. An integer pitch repeats
/// exactly every second, so the loop is seamless to the ear.
public struct ReplayTone: Sendable {
    public let packets: [[UInt8]]

    public static func encode(hertz: Double, bitrate: Int = 32_000) throws -> ReplayTone {
        let encoder = try OpusEncoder(channels: 2, bitrate: bitrate, complexity: 3)
        var tone = ToneGenerator(hertz: hertz)
        var packets: [[UInt8]] = []
        for _ in 0..<50 { packets.append(try encoder.encode(pcm: tone.next())) }
        return ReplayTone(packets: packets)
    }
}

/// Replays a `ReplayClip` and a `ReplayTone` forever with continuous RTP timestamps: each slot's timestamp
/// comes from the slot number, not from the clip, so the receiver sees one unbroken stream.
///
/// Not thread-safe; one owner calls it. The clip itself is shared, immutable, between all senders.
public final class ReplayTile: TileMediaSource {
    public let clip: ReplayClip
    public let tone: ReplayTone
    private var pacing: MediaPacing
    private let videoRTPTimestampOffset: UInt32
    private let audioRTPTimestampOffset: UInt32
    private var cursor = 0
    private var keyframeRequested = false
    public private(set) var videoFrames = 0

    public init(clip: ReplayClip, tone: ReplayTone, start: Timestamp,
                videoRTPTimestampOffset: UInt32 = 0, audioRTPTimestampOffset: UInt32 = 0) {
        precondition(!clip.frames.isEmpty && !tone.packets.isEmpty, "a replay needs media")
        self.clip = clip
        self.tone = tone
        pacing = MediaPacing(start: start, fps: clip.fps)
        self.videoRTPTimestampOffset = videoRTPTimestampOffset
        self.audioRTPTimestampOffset = audioRTPTimestampOffset
    }

    public var nextDeadline: Deadline { pacing.nextDeadline }

    public func requestKeyframe() { keyframeRequested = true }

    public func poll(at now: Timestamp) -> TileMedia? {
        guard let slot = pacing.next(at: now) else { return nil }
        switch slot {
        case .audio(let index):
            let packet = tone.packets[Int(index % Int64(tone.packets.count))]
            return .audio(packet, rtpTimestamp: audioRTPTimestampOffset &+ UInt32(truncatingIfNeeded: index * 960))
        case .video(let index):
            if keyframeRequested {
                // Skipping ahead to the next keyframe breaks no reference: receivers decode from it afresh.
                keyframeRequested = false
                while !clip.frames[cursor].isKeyframe { cursor = (cursor + 1) % clip.frames.count }
            }
            let frame = clip.frames[cursor]
            cursor = (cursor + 1) % clip.frames.count
            videoFrames += 1
            let pts = index * 90_000 / Int64(clip.fps)
            return .video(frame, rtpTimestamp: videoRTPTimestampOffset &+ UInt32(truncatingIfNeeded: pts))
        }
    }
}
