import Foundation
import Mesh
import Testing
import Tile

/// Synthetic participants' media on virtual time: pacing, pattern, tone, live tile and replay.
struct SyntheticMediaTests {
    static let start = Timestamp.seconds(500)

    static func drain(_ source: any TileMediaSource, until end: Timestamp, from: Timestamp = start) -> [(Timestamp, TileMedia)] {
        var media: [(Timestamp, TileMedia)] = []
        var now = from
        while now < end {
            while let next = source.poll(at: now) { media.append((now, next)) }
            now = source.nextDeadline.at
        }
        return media
    }

    static func videoTimestamps(_ media: [(Timestamp, TileMedia)]) -> [UInt32] {
        media.compactMap { if case .video(_, let rtp) = $0.1 { rtp } else { nil } }
    }

    @Test func pacingGivesThirtyFramesAndFiftyPacketsPerSecondThenSkipsAStall() {
        var pacing = MediaPacing(start: Self.start, fps: 30)
        var video = 0, audio = 0
        var now = Self.start
        while now < Self.start + .seconds(1) {
            while let slot = pacing.next(at: now) {
                if case .video = slot { video += 1 } else { audio += 1 }
            }
            now = pacing.nextDeadline.at
        }
        #expect(video == 30 && audio == 50)
        // A caller two seconds late gets slots from 200 ms ago on, not a burst of two seconds.
        now = Self.start + .seconds(3)
        var late = 0
        while pacing.next(at: now) != nil { late += 1 }
        #expect(late <= 7 + 11)
        #expect(pacing.skippedVideoSlots > 50 && pacing.skippedAudioSlots > 80)
    }

    @Test func patternMovesEveryFrameAndIsDeterministic() {
        var first = TestPatternRenderer(width: 320, height: 240)
        var second = TestPatternRenderer(width: 320, height: 240)
        first.render(.init(name: "synthetic-1", frameNumber: 7, elapsedMilliseconds: 466))
        second.render(.init(name: "synthetic-1", frameNumber: 7, elapsedMilliseconds: 466))
        #expect(first.frame == second.frame)
        let seventh = first.frame
        first.render(.init(name: "synthetic-1", frameNumber: 8, elapsedMilliseconds: 533))
        #expect(first.frame != seventh)
        var other = TestPatternRenderer(width: 320, height: 240)
        other.render(.init(name: "synthetic-2", frameNumber: 7, elapsedMilliseconds: 466))
        #expect(other.frame != seventh)
    }

    @Test func clockShowsMilliseconds() {
        #expect(TestPatternRenderer.clockText(elapsedMilliseconds: 3_723_045) == "01:02:03.045")
        #expect(TestPatternRenderer.clockText(elapsedMilliseconds: -5) == "00:00:00.000")
    }

    @Test func tonesAreDistinctAndRepeatEverySecond() {
        let pitches = (0..<25).map(ToneGenerator.pitch(forParticipant:))
        #expect(Set(pitches).count == 25)
        #expect(pitches.allSatisfy { $0 == $0.rounded() })
        var tone = ToneGenerator(hertz: pitches[3])
        let first = tone.next()
        for _ in 1..<50 { _ = tone.next() }
        #expect(tone.next() == first)
        #expect(first.contains { $0 > 4000 })
    }

    @Test func liveTileSendsDecodableVP8AndOpusOnSteadyClocks() throws {
        let tile = try SyntheticTile(
            configuration: .init(name: "synthetic-1", width: 160, height: 120, fps: 10, videoBitrateKbps: 200,
                                 videoRTPTimestampOffset: 4_294_967_000),
            start: Self.start)
        let media = Self.drain(tile, until: Self.start + .seconds(2))
        let stamps = Self.videoTimestamps(media)
        #expect(stamps.count == 20)
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $1 &- $0 == 9000 })
        let frames = media.compactMap { if case .video(let frame, _) = $0.1 { frame } else { nil } }
        #expect(frames.first?.isKeyframe == true)
        let audio = media.filter { if case .audio = $0.1 { true } else { false } }
        #expect(audio.count == 100)
        let directory = try MediaCheck.makeTemporaryDirectory()
        let file = directory.appendingPathComponent("live.ivf")
        try Data(IVF.file(width: 160, height: 120, timebaseDenominator: 90_000, frames: frames)).write(to: file)
        #expect(try MediaCheck.decodeErrors(file) == "")
    }

    @Test func replayLoopsWithContinuousTimestampsAndJumpsToAKeyframe() throws {
        let clip = try ReplayClip.encode(name: "replay", seconds: 1, width: 160, height: 120, fps: 10, bitrateKbps: 300)
        #expect(clip.frames.count == 10)
        #expect(clip.frames.first?.isKeyframe == true)
        let tone = try ReplayTone.encode(hertz: 440)
        #expect(tone.packets.count == 50)
        let tile = ReplayTile(clip: clip, tone: tone, start: Self.start, videoRTPTimestampOffset: 10)
        let media = Self.drain(tile, until: Self.start + .milliseconds(2500))
        let stamps = Self.videoTimestamps(media)
        #expect(stamps.count == 25)
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $1 &- $0 == 9000 })
        let frames = media.compactMap { if case .video(let frame, _) = $0.1 { frame } else { nil } }
        // The loop restarts on the clip's keyframe.
        #expect(frames[10] == clip.frames[0] && frames[20] == clip.frames[0])
        // After a request, the very next frame is a keyframe.
        tile.requestKeyframe()
        let next = Self.drain(tile, until: Self.start + .milliseconds(2700), from: Self.start + .milliseconds(2500))
        let firstVideo = next.compactMap { if case .video(let frame, _) = $0.1 { frame } else { nil } }.first
        #expect(firstVideo?.isKeyframe == true)
        let directory = try MediaCheck.makeTemporaryDirectory()
        let file = directory.appendingPathComponent("replay.ivf")
        // The clip's own pts repeat every loop; the file gets the slot times the RTP timestamps carry.
        let restamped = frames.enumerated().map { EncodedFrame(data: $1.data, isKeyframe: $1.isKeyframe, pts: Int64($0) * 9000) }
        try Data(IVF.file(width: 160, height: 120, timebaseDenominator: 90_000, frames: restamped)).write(to: file)
        #expect(try MediaCheck.decodeErrors(file) == "")
    }
}
