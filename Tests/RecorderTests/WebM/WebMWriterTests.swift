import Foundation
import Recorder
import Testing

@Suite struct WebMWriterTests {
    static let video: UInt64 = 1
    static let audio: UInt64 = 2

    static func makeWriter() throws -> WebMWriter {
        try WebMWriter(
            tracks: [.video(number: video, codec: .vp8, width: 320, height: 240), .opus(number: audio, preSkip: 312)],
            writingApp: "WebMWriterTests")
    }

    @Test func headerIsWhatLibWebMExpectsOfALiveFile() throws {
        var writer = try Self.makeWriter()
        let directory = try MediaTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("header.webm")
        try Data(writer.header()).write(to: url)

        let summary = LibWebMSummary(path: url.path)
        #expect(summary.result == 0, "\(summary.error)")
        #expect(summary.docType == "webm")
        #expect(summary.docTypeVersion == 4)
        #expect(summary.docTypeReadVersion == 2)
        #expect(summary.timecodeScale == 1_000_000)
        #expect(summary.writingApp == "WebMWriterTests")
        let video = try #require(summary.track(Self.video))
        #expect(video.type == 1 && video.codecID == "V_VP8" && video.width == 320 && video.height == 240)
        let audio = try #require(summary.track(Self.audio))
        #expect(audio.type == 2 && audio.codecID == "A_OPUS")
        #expect(audio.samplingFrequency == 48_000 && audio.channels == 2)
        #expect(audio.codecPrivateLength == 19)
        #expect(audio.codecDelay == 6_500_000)  // 312 samples at 48 kHz
        #expect(audio.seekPreRoll == 80_000_000)

        let walk = try WebMWalk(Array(try Data(contentsOf: url)))
        #expect(walk.topLevel.prefix(2) == [EBML.ID.ebml, EBML.ID.segment])
        // The Void holds room for the SeekHead that finalizing writes.
        #expect(walk.segmentChildren == [EBML.ID.void, EBML.ID.info, EBML.ID.tracks])
    }

    @Test func headerComesOnceEvenWhenAppendIsCalledFirst() throws {
        var writer = try Self.makeWriter()
        var bytes = try writer.append(frame: [1, 2, 3], track: Self.audio, timestampMilliseconds: 0, keyframe: false)
        #expect(writer.header().isEmpty)
        bytes += try writer.append(frame: [4], track: Self.video, timestampMilliseconds: 0, keyframe: true)
        let walk = try WebMWalk(bytes)
        #expect(walk.segmentChildren == [EBML.ID.void, EBML.ID.info, EBML.ID.tracks, EBML.ID.cluster])
        #expect(walk.clusters.first?.blocks.map(\.payload) == [[1, 2, 3], [4]])
        // Every Opus packet decodes on its own, whatever the caller said.
        #expect(walk.clusters.first?.blocks.first?.keyframe == true)
    }

    @Test func audioOnlyClustersNeverSpanASecond() throws {
        var writer = try Self.makeWriter()
        var bytes = writer.header()
        for packet in 0..<250 {  // 5 s of 20 ms packets
            bytes += try writer.append(frame: [0xFC], track: Self.audio, timestampMilliseconds: Int64(packet * 20), keyframe: true)
        }
        let walk = try WebMWalk(bytes)
        #expect(walk.clusters.map(\.timestamp) == [0, 1000, 2000, 3000, 4000])
        for cluster in walk.clusters {
            #expect(cluster.blocks.allSatisfy { $0.relative >= 0 && $0.relative < 1000 })
        }
        #expect(walk.timestamps(track: Self.audio) == (0..<250).map { Int64($0 * 20) })
        #expect(writer.statistics.blocks == 250 && writer.statistics.clusters == 5)
    }

    @Test func keyframesStartClustersOnlyAfterHalfASecond() throws {
        var writer = try Self.makeWriter()
        var bytes = writer.header()
        // 30 fps with keyframes at 0, 200 ms (too soon), 600 ms, then none until a 1 s split.
        let keyframes: Set<Int> = [0, 6, 18]
        for frame in 0..<60 {
            let timestamp = Int64(frame * 100 / 3)
            bytes += try writer.append(frame: [UInt8(frame)], track: Self.video, timestampMilliseconds: timestamp, keyframe: keyframes.contains(frame))
        }
        let walk = try WebMWalk(bytes)
        #expect(walk.clusters.map(\.timestamp) == [0, 600, 1600])
        #expect(walk.clusters.map { $0.blocks.first?.keyframe } == [true, true, false])
        #expect(walk.clusters.map { $0.blocks.filter(\.keyframe).count } == [2, 1, 0])
    }

    @Test func aLaggingTrackIsNotPushedForwardByANewCluster() throws {
        var writer = try Self.makeWriter()
        var bytes = writer.header()
        bytes += try writer.append(frame: [0], track: Self.video, timestampMilliseconds: 0, keyframe: true)
        bytes += try writer.append(frame: [0], track: Self.audio, timestampMilliseconds: 880, keyframe: true)
        // Video runs ahead of audio: its keyframe at 1000 opens a cluster early enough for audio at 900.
        bytes += try writer.append(frame: [1], track: Self.video, timestampMilliseconds: 1000, keyframe: true)
        bytes += try writer.append(frame: [1], track: Self.audio, timestampMilliseconds: 900, keyframe: true)
        let walk = try WebMWalk(bytes)
        #expect(walk.clusters.map(\.timestamp) == [0, 880])
        #expect(walk.timestamps(track: Self.audio) == [880, 900])
        #expect(walk.timestamps(track: Self.video) == [0, 1000])
        #expect(writer.statistics.beforeClusterClamped == 0)
    }

    @Test func framesKeepTheirOwnTimesAndOnlyCollisionsMove() throws {
        var writer = try Self.makeWriter()
        var bytes = writer.header()
        // A burst: frames 4 ms and 0 ms apart keep their times, except the exact collision, moved 1 ms.
        for timestamp: Int64 in [0, 4, 4, 33, 66] {
            bytes += try writer.append(frame: [0], track: Self.video, timestampMilliseconds: timestamp, keyframe: timestamp == 0)
        }
        #expect(try WebMWalk(bytes).timestamps(track: Self.video) == [0, 4, 5, 33, 66])
        #expect(writer.statistics.outOfOrderClamped == 1)
        // No invented frame rate: the header declares no DefaultDuration.
        var fresh = try Self.makeWriter()
        let header = fresh.header()
        let defaultDuration = EBML.encodeID(EBML.ID.defaultDuration)
        #expect(!header.indices.contains { Array(header[$0...].prefix(defaultDuration.count)) == defaultDuration })
    }

    @Test func lateAndEarlyTimestampsAreClampedAndCounted() throws {
        var writer = try Self.makeWriter()
        var bytes = writer.header()
        bytes += try writer.append(frame: [0], track: Self.audio, timestampMilliseconds: -5, keyframe: true)
        bytes += try writer.append(frame: [1], track: Self.audio, timestampMilliseconds: 100, keyframe: true)
        bytes += try writer.append(frame: [2], track: Self.audio, timestampMilliseconds: 60, keyframe: true)
        bytes += try writer.append(frame: [3], track: Self.video, timestampMilliseconds: 2000, keyframe: true)
        // Far behind the new cluster (beyond the lookback), so it lands on the cluster's start.
        bytes += try writer.append(frame: [4], track: Self.audio, timestampMilliseconds: 1200, keyframe: true)
        let walk = try WebMWalk(bytes)
        // The late frame lands just after its predecessor: no two blocks of a track share a timestamp.
        #expect(walk.timestamps(track: Self.audio) == [0, 100, 101, 1750])
        #expect(walk.clusters.map(\.timestamp) == [0, 1750])
        #expect(writer.statistics.negativeClamped == 1)
        #expect(writer.statistics.outOfOrderClamped == 1)
        #expect(writer.statistics.beforeClusterClamped == 1)
    }

    @Test func aLongGapOpensAClusterInsteadOfOverflowingTheOffset() throws {
        var writer = try Self.makeWriter()
        var bytes = writer.header()
        bytes += try writer.append(frame: [0], track: Self.audio, timestampMilliseconds: 10, keyframe: true)
        bytes += try writer.append(frame: [1], track: Self.audio, timestampMilliseconds: 40_000, keyframe: true)
        bytes += try writer.append(frame: [2], track: Self.audio, timestampMilliseconds: 86_400_000, keyframe: true)
        let walk = try WebMWalk(bytes)
        #expect(walk.timestamps(track: Self.audio) == [10, 40_000, 86_400_000])
        #expect(walk.clusters.count == 3)
    }

    @Test func invalidTracksAreRejected() throws {
        #expect(throws: WebMWriterError.noTracks) { try WebMWriter(tracks: [], writingApp: "t") }
        #expect(throws: WebMWriterError.invalidTrackNumber(0)) {
            try WebMWriter(tracks: [.opus(number: 0)], writingApp: "t")
        }
        #expect(throws: WebMWriterError.duplicateTrackNumber(1)) {
            try WebMWriter(tracks: [.opus(number: 1), .video(number: 1, codec: .vp9, width: 2, height: 2)], writingApp: "t")
        }
        var writer = try Self.makeWriter()
        #expect(throws: WebMWriterError.unknownTrack(9)) {
            try writer.append(frame: [0], track: 9, timestampMilliseconds: 0, keyframe: true)
        }
    }
}
