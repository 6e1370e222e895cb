import Foundation
import Recorder
import Testing

/// Real VP8/VP9 and Opus encoder output muxed by `WebMWriter`, then judged by ffmpeg, ffprobe and libwebm.
@Suite
struct WebMMediaTests {
    static let seconds = 3.0

    struct Inputs {
        var directory: URL
        var video: IVFFile
        var audio: OggOpusFile
    }

    /// Keyframes every 10 frames (667 ms at 15 fps), so the keyframe rule, not only the 1 s rule, shapes clusters.
    static func encode(_ codec: WebMCodec) throws -> Inputs {
        let directory = try MediaTool.temporaryDirectory()
        let videoURL = directory.appendingPathComponent("video.ivf")
        let audioURL = directory.appendingPathComponent("audio.ogg")
        let encoder = codec == .vp9 ? ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"] : ["-c:v", "libvpx"]
        try MediaTool.generate(
            ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", "\(seconds)"] + encoder
                + ["-g", "10", "-f", "ivf", videoURL.path])
        try MediaTool.generate(
            ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "\(seconds)", "-ac", "2",
             "-c:a", "libopus", "-f", "ogg", audioURL.path])
        return Inputs(
            directory: directory,
            video: try IVFFile(Array(try Data(contentsOf: videoURL))),
            audio: try OggOpusFile(Array(try Data(contentsOf: audioURL))))
    }

    @Test(arguments: [WebMCodec.vp8, .vp9])
    func realFramesDecodeCleanlyAndKeepTheirDuration(codec: WebMCodec) throws {
        let inputs = try Self.encode(codec)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let url = inputs.directory.appendingPathComponent("out.webm")
        let recording = try MuxedRecording.mux(video: inputs.video, videoCodec: codec, audio: inputs.audio, to: url)
        #expect(recording.videoFrames == inputs.video.frames.count && recording.audioPackets == inputs.audio.packets.count)
        #expect(recording.videoKeyframes >= 4)
        #expect(recording.statistics.outOfOrderClamped + recording.statistics.beforeClusterClamped == 0)

        let decode = try MediaTool.run(MediaTool.ffmpeg, MediaTool.decodeArguments(url.path))
        #expect(decode.status == 0)
        #expect(decode.stderr.isEmpty, "ffmpeg: \(decode.stderr)")

        let probe = try FFprobeStreams(path: url.path)
        #expect(probe.streams.map(\.codec) == [codec == .vp9 ? "vp9" : "vp8", "opus"])
        #expect(probe.streams.map(\.packets) == [recording.videoFrames, recording.audioPackets])
        for stream in probe.streams {
            #expect(abs(stream.duration - Self.seconds) < 0.1, "\(stream.codec) lasts \(stream.duration) s")
        }

        // MuxedRecording passes 1_700_000_000_000 ms since 1970; DateUTC counts from 2001.
        let created = try MediaTool.run(
            MediaTool.ffprobe, ["-v", "error", "-show_entries", "format_tags=creation_time", "-of", "csv=p=0", url.path])
        #expect(created.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2023-11-14T22:13:20.000000Z")

        let summary = LibWebMSummary(path: url.path)
        #expect(summary.result == 0, "\(summary.error)")
        #expect(!summary.isParsingError)
        #expect(summary.clusters == UInt64(recording.clusters.count))
        #expect(summary.blocksBeforeClusterStart == 0)
        let video = try #require(summary.track(MuxedRecording.videoTrack))
        #expect(video.codecID == (codec == .vp9 ? "V_VP9" : "V_VP8"))
        #expect(video.width == 320 && video.height == 240)
        #expect(video.blocks == UInt64(recording.videoFrames) && video.frames == video.blocks)
        #expect(video.keyframes == UInt64(recording.videoKeyframes))
        #expect(video.frameBytes == UInt64(inputs.video.frames.reduce(0) { $0 + $1.bytes.count }))
        #expect(video.firstTimestampMilliseconds == 0)
        #expect(video.lastTimestampMilliseconds == inputs.video.frames.last?.timestampMilliseconds)
        #expect(video.decreasingTimestamps == 0)
        let audio = try #require(summary.track(MuxedRecording.audioTrack))
        #expect(audio.codecID == "A_OPUS" && audio.channels == 2 && audio.samplingFrequency == 48_000)
        #expect(audio.blocks == UInt64(recording.audioPackets) && audio.keyframes == audio.blocks)
        #expect(audio.frameBytes == UInt64(inputs.audio.packets.reduce(0) { $0 + $1.bytes.count }))
        #expect(audio.lastTimestampMilliseconds == inputs.audio.packets.last?.timestampMilliseconds)
        #expect(audio.decreasingTimestamps == 0)

        // Clusters stay under a second, and once one has lasted half a second a keyframe starts the next.
        let starts = recording.clusters.map(\.timestampMilliseconds)
        #expect(zip(starts, starts.dropFirst()).allSatisfy { $1 - $0 <= 1000 })
        let keyframeTimes = inputs.video.frames.filter(inputs.video.isKeyframe).map(\.timestampMilliseconds)
        #expect(keyframeTimes.allSatisfy(starts.contains), "clusters \(starts), keyframes \(keyframeTimes)")
    }

    @Test func opusHeadIsTheOneFFmpegWrites() throws {
        let inputs = try Self.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let fields = try OpusHead.parse(inputs.audio.head)
        #expect(fields.preSkip > 0)
        #expect(OpusHead.make(channels: fields.channels, preSkip: fields.preSkip, inputSampleRate: fields.inputSampleRate) == inputs.audio.head)
    }

    /// A recorder killed mid-write leaves a prefix of the stream. ffmpeg then says (only) that the file
    /// ended prematurely, exits 0, and still demuxes and decodes every block that was written whole.
    @Test func aFileCutInsideTheLastClusterPlaysUpToTheCut() throws {
        let inputs = try Self.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let url = inputs.directory.appendingPathComponent("full.webm")
        let recording = try MuxedRecording.mux(video: inputs.video, videoCodec: .vp8, audio: inputs.audio, to: url)
        let last = try #require(recording.clusters.last)
        let size = recording.bytes.count
        // Inside the Cluster ID, inside its size, inside its Timestamp, inside the first block, midway, and one byte short.
        let cuts = [last.offset + 2, last.offset + 8, last.offset + 14, last.offset + 30, (last.offset + size) / 2, size - 1]

        for cut in cuts {
            let cutURL = inputs.directory.appendingPathComponent("cut-\(cut).webm")
            try Data(recording.bytes.prefix(cut)).write(to: cutURL)

            let decode = try MediaTool.run(MediaTool.ffmpeg, MediaTool.decodeArguments(cutURL.path))
            #expect(decode.status == 0, "cut at \(cut)")
            let complaints = decode.stderr.split(separator: "\n").filter {
                !$0.contains("File ended prematurely") && !$0.contains("Last message repeated")
            }
            #expect(complaints.isEmpty, "cut at \(cut): \(complaints)")

            let whole = recording.blockEnds.filter { $0.end <= cut }
            let wholeVideo = whole.filter { $0.track == MuxedRecording.videoTrack }.count
            let wholeAudio = whole.count - wholeVideo
            let probe = try FFprobeStreams(path: cutURL.path)
            #expect(probe.streams.map(\.packets) == [wholeVideo, wholeAudio], "cut at \(cut)")
            for stream in probe.streams {
                #expect(stream.end * 1000 >= Double(last.timestampMilliseconds) - 70, "cut at \(cut): \(stream.codec) ends at \(stream.end)")
            }

            // libwebm runs out of input (kEndOfFile) without calling the file malformed.
            let summary = LibWebMSummary(path: cutURL.path)
            #expect(summary.status == -3 && !summary.isParsingError, "cut at \(cut): \(summary.error)")
            let video = summary.track(MuxedRecording.videoTrack)
            let audio = summary.track(MuxedRecording.audioTrack)
            #expect(video?.frames == UInt64(wholeVideo) && audio?.frames == UInt64(wholeAudio), "cut at \(cut)")
        }
    }
}
