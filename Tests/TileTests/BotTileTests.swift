import Foundation
import Mesh
import Testing
import Tile

/// The tile on virtual time: no clocks, no sleeps.
struct BotTileTests {
    static let start = Timestamp.seconds(1000)

    /// Drives the tile the way its owner will: drain `poll`, then jump to `nextDeadline`, until `end`.
    static func run(_ tile: BotTile, until end: Timestamp, from: Timestamp = start) -> [(Timestamp, TileMedia)] {
        var media: [(Timestamp, TileMedia)] = []
        var now = from
        while now < end {
            while let next = tile.poll(at: now) { media.append((now, next)) }
            now = tile.nextDeadline.at
        }
        return media
    }

    static func video(_ media: [(Timestamp, TileMedia)]) -> [(at: Timestamp, frame: EncodedFrame, rtp: UInt32)] {
        media.compactMap { if case .video(let frame, let rtp) = $0.1 { (at: $0.0, frame: frame, rtp: rtp) } else { nil } }
    }

    static func audio(_ media: [(Timestamp, TileMedia)]) -> [(at: Timestamp, packet: [UInt8], rtp: UInt32)] {
        media.compactMap { if case .audio(let packet, let rtp) = $0.1 { (at: $0.0, packet: packet, rtp: rtp) } else { nil } }
    }

    @Test func oneSecondIsFiveFramesAndFiftyPacketsWithSteadyRTPSteps() throws {
        let tile = try BotTile(
            configuration: .init(botName: "EngageBot", videoRTPTimestampOffset: 4_294_960_000, audioRTPTimestampOffset: 77),
            start: Self.start)
        let media = Self.run(tile, until: Self.start + .seconds(1))
        let video = Self.video(media), audio = Self.audio(media)
        #expect(video.count == 5)
        #expect(audio.count == 50)
        // Video steps wrap past 2^32 without a hiccup.
        #expect(zip(video, video.dropFirst()).allSatisfy { $1.rtp &- $0.rtp == 18_000 })
        #expect(video.first?.rtp == 4_294_960_000)
        #expect(zip(audio, audio.dropFirst()).allSatisfy { $1.rtp &- $0.rtp == 960 })
        #expect(audio.first?.rtp == 77)
        // Each piece comes out exactly at its slot, since the driver wakes at every deadline.
        #expect(video.map(\.at) == (0..<5).map { Self.start + .milliseconds(Int64($0) * 200) })
        #expect(audio.map(\.at) == (0..<50).map { Self.start + .milliseconds(Int64($0) * 20) })
        #expect(video.first?.frame.isKeyframe == true)
        #expect(tile.statistics.videoFrames == 5 && tile.statistics.audioFrames == 50)
    }

    @Test func nextDeadlineIsTheEarlierSlot() throws {
        let tile = try BotTile(configuration: .init(botName: "EngageBot"), start: Self.start)
        #expect(tile.nextDeadline.at == Self.start)
        while tile.poll(at: Self.start) != nil {}
        #expect(tile.nextDeadline == Deadline(at: Self.start + .milliseconds(20), reason: "tile audio frame"))
        #expect(tile.poll(at: Self.start + .milliseconds(19)) == nil)
        // Before the start nothing is due.
        let early = try BotTile(configuration: .init(botName: "EngageBot"), start: Self.start)
        #expect(early.poll(at: Timestamp(nanoseconds: Self.start.nanoseconds - 1_000_000)) == nil)
    }

    @Test func redrawsOncePerSecondButEncodesEveryFrame() throws {
        let tile = try BotTile(configuration: .init(botName: "EngageBot"), start: Self.start)
        _ = Self.run(tile, until: Self.start + .seconds(10))
        #expect(tile.statistics.videoFrames == 50)
        #expect(tile.statistics.renders == 10)
    }

    @Test func keyframeRequestsAreAnsweredOnceByTheNextFrame() throws {
        let tile = try BotTile(configuration: .init(botName: "EngageBot"), start: Self.start)
        _ = Self.run(tile, until: Self.start + .seconds(1))
        tile.requestKeyframe()
        tile.requestKeyframe()
        let media = Self.run(tile, until: Self.start + .milliseconds(1400), from: Self.start + .seconds(1))
        let video = Self.video(media)
        #expect(video.count == 2)
        #expect(video.map(\.frame.isKeyframe) == [true, false])
    }

    @Test func aStalledCallerGetsTheCurrentSlotNotABurst() throws {
        let tile = try BotTile(configuration: .init(botName: "EngageBot"), start: Self.start)
        _ = Self.run(tile, until: Self.start + .seconds(1))
        // Five seconds pass unpolled.
        let late = Self.start + .seconds(6)
        var burst: [TileMedia] = []
        while let next = tile.poll(at: late) { burst.append(next) }
        let video = Self.video(burst.map { (late, $0) }), audio = Self.audio(burst.map { (late, $0) })
        // Only slots within the 200 ms lateness allowance: 5.8...6.0 s.
        #expect(video.count == 2 && audio.count == 11)
        #expect(video.map(\.rtp) == [29 * 18_000, 30 * 18_000])
        let firstAudioRTP: UInt32? = audio.first?.rtp
        #expect(firstAudioRTP == UInt32(290 * 960), "\(audio.map(\.rtp))")
        #expect(tile.statistics.videoSlotsSkipped == 24 && tile.statistics.audioSlotsSkipped == 240)
    }

    @Test func clockOnTheSlateFollowsTheFrameSlot() throws {
        let tile = try BotTile(configuration: .init(botName: "EngageBot"), start: Self.start)
        var shown: [Int] = []
        var now = Self.start
        while now < Self.start + .seconds(3) {
            while let next = tile.poll(at: now) {
                if case .video = next, let content = tile.slateContent { shown.append(content.elapsedSeconds) }
            }
            now = tile.nextDeadline.at
        }
        #expect(shown == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2])
        #expect(tile.slateContent?.botName == "EngageBot")
        #expect(tile.slateContent?.title == "This meeting is recorded")
    }
}

extension BotTileTests {
    /// Once the silence settled (about 12 s), the tile hands out only audio packets worth sending, on their
    /// own slots' timestamps, and its owner wakes for those and the video frames, not every 20 ms.
    @Test func settledSilenceLeavesOutTheSlotsThatWouldOnlySayStillSilent() throws {
        let tile = try BotTile(configuration: .init(botName: "EngageBot", audioRTPTimestampOffset: 1_000), start: Self.start)
        var now = Self.start
        var wakeUps = 0
        var audio: [(at: Timestamp, packet: [UInt8], rtp: UInt32)] = []
        let measuredFrom = Self.start + .seconds(20), end = Self.start + .seconds(30)
        while now < end {
            if now >= measuredFrom { wakeUps += 1 }
            while let media = tile.poll(at: now) {
                if case .audio(let packet, let rtp) = media, now >= measuredFrom { audio.append((now, packet, rtp)) }
            }
            now = tile.nextDeadline.at
        }
        #expect(tile.statistics.audioSlotsLeftSilent > 0)
        #expect(audio.allSatisfy { !OpusEncoder.isDiscontinuous($0.packet) }, "a DTX packet was handed out")
        // A comfort-noise update every 21 slots: about 24 in 10 s, each on its slot's time and timestamp.
        #expect((20...28).contains(audio.count), "\(audio.count) audio packets in 10 s")
        #expect(audio.allSatisfy { ($0.rtp &- 1_000) % 960 == 0 })
        #expect(audio.allSatisfy { Int64($0.rtp &- 1_000) / 48 * 1_000_000 == ($0.at - Self.start).nanoseconds })
        // 50 video frames and the audio packets, instead of 500 audio slots more.
        #expect(wakeUps <= 50 + audio.count + 2, "\(wakeUps) wake-ups in 10 s")
    }
}

@Suite
struct BotTileMediaTests {
    /// What the bot sends, recorded as a participant's browser would receive it, decodes cleanly and lasts as long.
    @Test func threeSecondsOfTileMediaMuxAndDecode() throws {
        let tile = try BotTile(configuration: .init(botName: "EngageBot"), start: .zero)
        tile.requestKeyframe()
        let media = BotTileTests.run(tile, until: .seconds(3), from: .zero)
        let video = BotTileTests.video(media).map { ($0.frame, milliseconds: Int64($0.rtp) / 90) }
        let audio = BotTileTests.audio(media).map { ($0.packet, milliseconds: Int64($0.rtp) / 48) }
        let directory = try MediaCheck.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let webm = directory.appendingPathComponent("tile.webm")
        try TileWebM.write(to: webm, video: video, audio: audio, preSkip: tile.audioLookahead)
        #expect(try MediaCheck.decodeErrors(webm) == "")
        #expect(try MediaCheck.probe(webm, ["-count_packets", "-show_entries", "stream=codec_name,nb_read_packets"])
            == ["codec_name=vp8", "nb_read_packets=15", "codec_name=opus", "nb_read_packets=150"])
    }
}
