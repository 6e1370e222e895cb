import Foundation
import Mesh
import Testing
@testable import Recorder

/// Frames keep the sender's times: the file shows the sender's frame rate, a resolution change decodes
/// clean, and DateUTC says when the file's zero happened. Real libvpx VP8 sent as RTP with a 90 kHz clock.
@Suite(.enabled(if: MediaTool.available, "needs /usr/bin/ffmpeg and /usr/bin/ffprobe"))
struct RecordedTimingTests {
    static func encodeVideo(rate: Int, size: String, seconds: Double, into directory: URL) throws -> IVFFile {
        let url = directory.appendingPathComponent("video-\(size)-\(rate).ivf")
        try MediaTool.generate(
            ["-f", "lavfi", "-i", "testsrc=size=\(size):rate=\(rate)", "-t", "\(seconds)", "-c:v", "libvpx",
             "-b:v", "300k", "-lag-in-frames", "0", "-auto-alt-ref", "0", "-g", "\(rate)", "-f", "ivf", url.path])
        return try IVFFile(Array(try Data(contentsOf: url)))
    }

    /// Frame `index` is captured at `index / rate` s (exact on the 90 kHz RTP clock) and arrives with up to
    /// 15 ms of seeded jitter; audio is the clip's Opus at 48 kHz.
    static func arrivals(video frames: [IVFFile.Frame], rate: Int, audio: OggOpusFile) -> [ParticipantRecorderTests.Arrival] {
        var arrivals: [ParticipantRecorderTests.Arrival] = []
        var packetizer = VP8Packetizer()
        var sequence: UInt16 = 65_000
        var random = SplitMix64(seed: UInt64(rate))
        for (index, frame) in frames.enumerated() {
            let rtp = 4_000_000_000 &+ UInt32(truncatingIfNeeded: index * 90_000 / rate)
            let arrival = Timestamp.milliseconds(1000 + Int64(index * 1000 / rate) + Int64(random.next() % 15))
            let payloads = packetizer.packetize(frame.bytes[...])
            for (position, payload) in payloads.enumerated() {
                let packet = RTPPacket(payloadType: 96, sequenceNumber: sequence, timestamp: rtp,
                                       ssrc: ParticipantRecorderTests.video.ssrc,
                                       marker: position == payloads.count - 1, payload: payload[...])
                sequence &+= 1
                arrivals.append(.init(at: arrival, packet: packet, track: ParticipantRecorderTests.video))
            }
        }
        for (index, packet) in audio.packets.enumerated() {
            let rtp = RTPPacket(payloadType: 111, sequenceNumber: UInt16(truncatingIfNeeded: 100 + index),
                                timestamp: UInt32(packet.timestampMilliseconds * 48), ssrc: ParticipantRecorderTests.audio.ssrc,
                                payload: packet.bytes[...])
            arrivals.append(.init(at: .milliseconds(1000 + packet.timestampMilliseconds), packet: rtp,
                                  track: ParticipantRecorderTests.audio))
        }
        // Stable: a frame's packets stay in order when frames and audio share an instant.
        return arrivals.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }

    static func fraction(_ text: Substring) -> Double? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let numerator = Double(parts[0]), let denominator = Double(parts[1]), denominator > 0
        else { return nil }
        return numerator / denominator
    }

    @Test(arguments: [15, 30])
    func ffprobeReportsTheSendersFrameRate(rate: Int) throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let video = try Self.encodeVideo(rate: rate, size: "320x240", seconds: 3, into: inputs.directory)
        let url = inputs.directory.appendingPathComponent("rate-\(rate).webm")
        _ = try ParticipantRecorderTests.record(Self.arrivals(video: video.frames, rate: rate, audio: inputs.audio), to: url)
        #expect(try ParticipantRecorderTests.decodeErrors(url).isEmpty)

        let probe = try MediaTool.run(MediaTool.ffprobe, [
            "-v", "error", "-select_streams", "v", "-show_entries", "stream=r_frame_rate,avg_frame_rate", "-of", "csv=p=0",
            url.path])
        let rates = probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap(Self.fraction)
        #expect(rates.count == 2, "ffprobe: \(probe.stdout) \(probe.stderr)")
        for measured in rates {
            #expect(abs(measured - Double(rate)) / Double(rate) < 0.03, "ffprobe says \(probe.stdout) for \(rate) fps")
        }
        let packets = try FFprobeStreams(path: url.path)
        #expect(packets.streams.first?.packets == video.frames.count, "every frame kept")
    }

    /// As Firefox ramps its camera up: 320x240, then 640x480 from a keyframe on. The header keeps the size
    /// the stream starts with; decoders follow the keyframes.
    @Test func aResolutionChangeDecodesCleanly() throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let small = try Self.encodeVideo(rate: 15, size: "320x240", seconds: 1.5, into: inputs.directory)
        let large = try Self.encodeVideo(rate: 15, size: "640x480", seconds: 1.5, into: inputs.directory)
        let url = inputs.directory.appendingPathComponent("ramp.webm")
        _ = try ParticipantRecorderTests.record(
            Self.arrivals(video: small.frames + large.frames, rate: 15, audio: inputs.audio), to: url)
        #expect(try ParticipantRecorderTests.decodeErrors(url).isEmpty)

        let frames = try MediaTool.run(MediaTool.ffprobe, [
            "-v", "error", "-select_streams", "v", "-show_entries", "frame=width,height", "-of", "csv=p=0", url.path])
        let sizes = frames.stdout.split(separator: "\n").map(String.init)
        #expect(sizes.count == small.frames.count + large.frames.count)
        #expect(sizes.prefix(small.frames.count).allSatisfy { $0 == "320,240" })
        #expect(sizes.suffix(large.frames.count).allSatisfy { $0 == "640,480" })
        let summary = LibWebMSummary(path: url.path)
        #expect(summary.status == 0 && !summary.isParsingError, "\(summary.error)")
        #expect(summary.track(ParticipantRecorder.videoTrackNumber).map { [$0.width, $0.height] } == [320, 240])
    }

    @Test func dateUTCIsTheWallClockAtTheFilesZero() throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        var recorder = ParticipantRecorder(
            writingApp: "tests", timeline: MeetingTimeline(origin: .zero, unixNanosecondsAtOrigin: 1_700_000_000_000_000_000))
        recorder.expect([.audio, .video])
        var bytes: [UInt8] = []
        // The first packet arrives at 1 s of the monotonic clock: that is the file's zero.
        let arrivals = ParticipantRecorderTests.packets(inputs)
        for arrival in arrivals {
            for case .write(let chunk) in recorder.push(arrival.packet, track: arrival.track, at: arrival.at) { bytes += chunk }
        }
        for output in recorder.finish(at: (arrivals.last?.at ?? .zero) + .seconds(1)) {
            if case .write(let chunk) = output { bytes += chunk }
            if case .finalize(let finalization) = output { bytes = finalization.applied(to: bytes) }
        }
        let url = inputs.directory.appendingPathComponent("dated.webm")
        try Data(bytes).write(to: url)
        let created = try MediaTool.run(
            MediaTool.ffprobe, ["-v", "error", "-show_entries", "format_tags=creation_time", "-of", "csv=p=0", url.path])
        #expect(created.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2023-11-14T22:13:21.000000Z")
    }
}
