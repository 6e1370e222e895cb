import Mesh

public struct SyntheticTileConfiguration: Sendable, Equatable {
    public var name: String
    /// "camera" or "screen": drawn above the name.
    public var label: String
    public var width: Int
    public var height: Int
    public var fps: Int
    public var videoBitrateKbps: Int
    public var toneHertz: Double
    public var audioBitrate: Int
    public var tint: Int
    public var noiseFraction: Double
    /// Where each RTP clock starts; RFC 3550 wants these random, and the caller draws them.
    public var videoRTPTimestampOffset: UInt32
    public var audioRTPTimestampOffset: UInt32

    public init(name: String, label: String = "camera", width: Int = 320, height: Int = 240, fps: Int = 15,
                videoBitrateKbps: Int = 300, toneHertz: Double = 440, audioBitrate: Int = 32_000, tint: Int = 0,
                noiseFraction: Double = 0.25, videoRTPTimestampOffset: UInt32 = 0, audioRTPTimestampOffset: UInt32 = 0) {
        self.name = name
        self.label = label
        self.width = width
        self.height = height
        self.fps = fps
        self.videoBitrateKbps = videoBitrateKbps
        self.toneHertz = toneHertz
        self.audioBitrate = audioBitrate
        self.tint = tint
        self.noiseFraction = noiseFraction
        self.videoRTPTimestampOffset = videoRTPTimestampOffset
        self.audioRTPTimestampOffset = audioRTPTimestampOffset
    }
}

/// A synthetic participant's live camera and microphone: the moving test pattern encoded to VP8 frame by
/// frame, and a steady tone encoded to Opus, both paced like a browser's capture.
///
/// Live encoding costs a few milliseconds per frame; for many senders at once, `ReplayTile` replays a
/// clip encoded once instead. Not thread-safe; one owner calls it.
public final class SyntheticTile: TileMediaSource {
    public let configuration: SyntheticTileConfiguration
    private var pacing: MediaPacing
    private var renderer: TestPatternRenderer
    private var tone: ToneGenerator
    private let videoEncoder: VP8Encoder
    private let audioEncoder: OpusEncoder
    private var keyframeRequested = false
    public private(set) var videoFrames = 0
    public private(set) var audioFrames = 0

    public init(configuration: SyntheticTileConfiguration, start: Timestamp) throws {
        self.configuration = configuration
        pacing = MediaPacing(start: start, fps: configuration.fps)
        renderer = TestPatternRenderer(width: configuration.width, height: configuration.height,
                                       noiseFraction: configuration.noiseFraction, tint: configuration.tint)
        tone = ToneGenerator(hertz: configuration.toneHertz)
        videoEncoder = try VP8Encoder(width: configuration.width, height: configuration.height, fps: configuration.fps,
                                      bitrateKbps: configuration.videoBitrateKbps, keyframeIntervalSeconds: 2)
        // A pure tone needs none of libopus's analysis effort; 3 keeps the encoder cheap and the tone clean.
        audioEncoder = try OpusEncoder(channels: 2, bitrate: configuration.audioBitrate, complexity: 3)
    }

    public var nextDeadline: Deadline { pacing.nextDeadline }

    public func requestKeyframe() { keyframeRequested = true }

    public func poll(at now: Timestamp) -> TileMedia? {
        while let slot = pacing.next(at: now) {
            switch slot {
            case .audio(let index):
                guard let packet = try? audioEncoder.encode(pcm: tone.next()) else { continue }
                audioFrames += 1
                return .audio(packet, rtpTimestamp: configuration.audioRTPTimestampOffset &+ UInt32(truncatingIfNeeded: index * 960))
            case .video(let index):
                let pts = index * 90_000 / Int64(configuration.fps)
                renderer.render(.init(name: configuration.name, label: configuration.label, frameNumber: index,
                                      elapsedMilliseconds: (pacing.videoTime(index) - pacing.start).nanoseconds / 1_000_000))
                let force = keyframeRequested || index == 0
                guard let frame = try? videoEncoder.encode(renderer.frame, pts: pts, forceKeyframe: force).last else {
                    // The frame is lost, so the next one must not reference it.
                    keyframeRequested = true
                    continue
                }
                keyframeRequested = false
                videoFrames += 1
                return .video(frame, rtpTimestamp: configuration.videoRTPTimestampOffset &+ UInt32(truncatingIfNeeded: pts))
            }
        }
        return nil
    }
}
