import Foundation
import Mesh
import Testing
@testable import Recorder

/// Real VP8 and Opus, sent as RTP the way a browser does, through `ParticipantRecorder`, judged by ffmpeg.
@Suite
struct ParticipantRecorderTests {
    static let video = MediaTrack(kind: .video, codec: .vp8, ssrc: 0x1111, payloadType: 96, clockRate: 90_000, mid: "1")
    static let audio = MediaTrack(kind: .audio, codec: .opus, ssrc: 0x2222, payloadType: 111, clockRate: 48_000, mid: "0")

    struct Arrival {
        var at: Timestamp
        var packet: RTPPacket
        var track: MediaTrack
    }

    /// RTP for the clip's frames: video through our VP8 packetizer, audio one packet per Opus frame.
    static func packets(_ inputs: WebMMediaTests.Inputs, skipVideoFrames: Int = 0,
                        videoMilliseconds: ((Int, Int64) -> Int64)? = nil) -> [Arrival] {
        var arrivals: [Arrival] = []
        var packetizer = VP8Packetizer()
        var sequence: UInt16 = 65_500
        for (index, frame) in inputs.video.frames.enumerated() where index >= skipVideoFrames {
            let milliseconds = videoMilliseconds?(index, frame.timestampMilliseconds) ?? frame.timestampMilliseconds
            let payloads = packetizer.packetize(frame.bytes[...])
            for (position, payload) in payloads.enumerated() {
                let packet = RTPPacket(payloadType: 96, sequenceNumber: sequence,
                                       timestamp: 3_000_000_000 &+ UInt32(milliseconds * 90), ssrc: video.ssrc,
                                       marker: position == payloads.count - 1, payload: payload[...])
                sequence &+= 1
                arrivals.append(Arrival(at: .milliseconds(1000 + milliseconds), packet: packet, track: video))
            }
        }
        for (index, packet) in inputs.audio.packets.enumerated() {
            let rtp = RTPPacket(payloadType: 111, sequenceNumber: UInt16(truncatingIfNeeded: 100 + index),
                                timestamp: UInt32(packet.timestampMilliseconds * 48), ssrc: audio.ssrc,
                                payload: packet.bytes[...])
            arrivals.append(Arrival(at: .milliseconds(1000 + packet.timestampMilliseconds), packet: rtp, track: audio))
        }
        return arrivals.sorted { $0.at < $1.at }
    }

    /// Feeds arrivals (with 20 ms ticks in between, as the bot does), finishes, and writes the file.
    static func record(_ arrivals: [Arrival], to url: URL, expecting kinds: Set<MediaTrack.Kind>? = [.audio, .video])
        throws -> (outputs: [ParticipantRecorder.Output], recorder: ParticipantRecorder)
    {
        var recorder = ParticipantRecorder(writingApp: "tests")
        if let kinds { recorder.expect(kinds) }
        var outputs: [ParticipantRecorder.Output] = []
        var clock = arrivals.first?.at ?? .zero
        for arrival in arrivals {
            while clock + .milliseconds(20) < arrival.at {
                clock = clock + .milliseconds(20)
                outputs += recorder.advance(to: clock)
            }
            clock = max(clock, arrival.at)
            outputs += recorder.push(arrival.packet, track: arrival.track, at: arrival.at)
        }
        outputs += recorder.finish(at: clock + .seconds(1))
        var bytes: [UInt8] = []
        for output in outputs {
            switch output {
            case .write(let chunk): bytes += chunk
            case .finalize(let finalization): bytes = finalization.applied(to: bytes)
            case .requestKeyframe, .requestFullIntra: break
            }
        }
        try Data(bytes).write(to: url)
        return (outputs, recorder)
    }

    static func decodeErrors(_ url: URL) throws -> String {
        let decode = try MediaTool.run(MediaTool.ffmpeg, MediaTool.decodeArguments(url.path))
        return decode.stderr + (decode.status == 0 ? "" : "exit \(decode.status)")
    }

    @Test func shuffledBrowserLikeRTPBecomesAPlayableFile() throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        var arrivals = Self.packets(inputs)
        // Network jitter: neighbours swap places now and then.
        var random = SplitMix64(seed: 3)
        for index in stride(from: 1, to: arrivals.count, by: 1) where random.next() % 7 == 0 {
            arrivals.swapAt(index - 1, index)
        }
        let url = inputs.directory.appendingPathComponent("alice.webm")
        let (outputs, recorder) = try Self.record(arrivals, to: url)
        #expect(try Self.decodeErrors(url).isEmpty)
        let probe = try FFprobeStreams(path: url.path)
        let durations = probe.streams.map(\.duration)
        #expect(probe.streams.map(\.codec) == ["vp8", "opus"])
        #expect(durations.allSatisfy { abs($0 - WebMMediaTests.seconds) < 0.2 }, "durations \(durations)")
        #expect(probe.streams.first?.packets == inputs.video.frames.count, "every frame kept")
        #expect(!outputs.contains { if case .requestKeyframe = $0 { return true } else { return false } })
        #expect(recorder.trackStatistics.allSatisfy { $0.jitter.lost == 0 })
    }

    @Test func aStreamJoinedMidGroupAsksForAKeyframeAndStartsOnOne() throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let url = inputs.directory.appendingPathComponent("late.webm")
        let (outputs, _) = try Self.record(Self.packets(inputs, skipVideoFrames: 3), to: url)
        #expect(outputs.contains(.requestKeyframe(Self.video.ssrc)))
        #expect(try Self.decodeErrors(url).isEmpty)
        let flags = try MediaTool.run(MediaTool.ffprobe, ["-v", "error", "-select_streams", "v",
                                                          "-show_entries", "packet=flags", "-of", "csv=p=0", url.path])
        #expect(flags.stdout.hasPrefix("K"), "the video track starts on a keyframe")
    }

    /// Pairs of frames 4 ms apart, as a loaded screen capturer sends them, keep their own times: no
    /// invented frame rate pushes them apart, no two blocks share a timestamp, and every frame decodes.
    @Test func captureBurstsKeepTheirTimesAndDecode() throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let url = inputs.directory.appendingPathComponent("burst.webm")
        _ = try Self.record(Self.packets(inputs) { index, milliseconds in
            index % 2 == 1 ? milliseconds - 62 : milliseconds
        }, to: url)
        let errors = try Self.decodeErrors(url)
        #expect(errors.isEmpty, "ffmpeg: \(errors)")
        let frames = try MediaTool.run(MediaTool.ffprobe, [
            "-v", "error", "-select_streams", "v", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0",
            url.path])
        #expect(Int(frames.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == inputs.video.frames.count)
        let pts = try MediaTool.run(MediaTool.ffprobe, [
            "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts", "-of", "csv=p=0", url.path])
        let times = pts.stdout.split(separator: "\n").compactMap { Int64($0) }
        let sent = inputs.video.frames.enumerated().map { index, frame in
            frame.timestampMilliseconds - (index % 2 == 1 ? 62 : 0)
        }
        #expect(times.count == sent.count)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "strictly increasing: \(times)")
        // On the file's zero (the first packet's arrival), each frame at its sent time, to rounding.
        let offset = (times.first ?? 0) - (sent.first ?? 0)
        #expect(zip(times, sent).allSatisfy { abs($0 - offset - $1) <= 1 }, "\(times) vs \(sent)")
    }

    @Test func withoutANegotiationTheOtherKindIsWaitedFor() throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        // Video first, audio 300 ms later: both must still be in the file.
        let arrivals = Self.packets(inputs).map { arrival in
            var shifted = arrival
            if arrival.track.kind == .audio { shifted.at = arrival.at + .milliseconds(300) }
            return shifted
        }.sorted { $0.at < $1.at }
        let url = inputs.directory.appendingPathComponent("undeclared.webm")
        _ = try Self.record(arrivals, to: url, expecting: nil)
        #expect(try FFprobeStreams(path: url.path).streams.map(\.codec) == ["vp8", "opus"])
    }

    @Test func aParticipantWithoutVideoIsRecordedAudioOnly() throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let url = inputs.directory.appendingPathComponent("voice.webm")
        let audioOnly = Self.packets(inputs).filter { $0.track.kind == .audio }
        _ = try Self.record(audioOnly, to: url, expecting: [.audio])
        #expect(try Self.decodeErrors(url).isEmpty)
        let probe = try FFprobeStreams(path: url.path)
        #expect(probe.streams.map(\.codec) == ["opus"])
        #expect(abs((probe.streams.first?.duration ?? 0) - WebMMediaTests.seconds) < 0.2)
    }
}

/// Audio from senders whose clocks misbehave (hostile, or an encoder restarted without a new SSRC): a decoder
/// plays every frame in full, so frames laid over each other make more sound than the file has time, and
/// ffmpeg complains about the timestamps. The recorder lets neither happen.
@Suite struct MisbehavingAudioClockTests {
    /// The clip's Opus packets, `passes` times over, sent `speed` times faster than real time; each pass
    /// restarts the RTP clock where the first began.
    static func arrivals(_ clip: OggOpusFile, passes: Int, speed: Int64) -> (arrivals: [ParticipantRecorderTests.Arrival], seconds: Double) {
        var arrivals: [ParticipantRecorderTests.Arrival] = []
        let clipMilliseconds = (clip.packets.last?.timestampMilliseconds ?? 0) + 20
        for pass in 0..<passes {
            for (index, packet) in clip.packets.enumerated() {
                let rtp = RTPPacket(payloadType: 111, sequenceNumber: UInt16(truncatingIfNeeded: 100 + pass * clip.packets.count + index),
                                    timestamp: UInt32(packet.timestampMilliseconds * 48), ssrc: ParticipantRecorderTests.audio.ssrc,
                                    payload: packet.bytes[...])
                let sent = (Int64(pass) * clipMilliseconds + packet.timestampMilliseconds) / speed
                arrivals.append(.init(at: .milliseconds(1000 + sent), packet: rtp, track: ParticipantRecorderTests.audio))
            }
        }
        return (arrivals, Double(Int64(passes) * clipMilliseconds / speed) / 1000)
    }

    /// Seconds of sound ffmpeg decodes from the file's audio.
    static func decodedSeconds(_ url: URL) throws -> Double {
        let output = url.deletingPathExtension().appendingPathExtension("pcm")
        defer { try? FileManager.default.removeItem(at: output) }
        let decode = try MediaTool.run(MediaTool.ffmpeg, ["-v", "error", "-i", url.path, "-map", "0:a", "-f", "s16le", "-ac", "1",
                                                          "-ar", "48000", "-y", output.path])
        guard decode.status == 0 else { throw ToolError("ffmpeg could not decode \(url.lastPathComponent): \(decode.stderr)") }
        let bytes = try FileManager.default.attributesOfItem(atPath: output.path)[.size] as? Int ?? 0
        return Double(bytes) / 2 / 48_000
    }

    /// What one recording of the clip, sent `passes` times at `speed`, came to; its decode is checked clean.
    struct Recorded {
        var secondsSent: Double
        var secondsDecoded: Double
        var fileSeconds: Double
        var clipPackets: Int
        var statistics: ParticipantRecorder.TrackStatistics
    }

    static func record(passes: Int, speed: Int64) throws -> Recorded {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let (arrivals, seconds) = Self.arrivals(inputs.audio, passes: passes, speed: speed)
        let url = inputs.directory.appendingPathComponent("audio.webm")
        let (_, recorder) = try ParticipantRecorderTests.record(arrivals, to: url, expecting: [.audio])
        #expect(try ParticipantRecorderTests.decodeErrors(url).isEmpty)
        return Recorded(secondsSent: seconds, secondsDecoded: try Self.decodedSeconds(url),
                        fileSeconds: try FFprobeStreams(path: url.path).streams.first?.duration ?? 0,
                        clipPackets: inputs.audio.packets.count, statistics: try #require(recorder.trackStatistics.first))
    }

    @Test func audioWhoseClockStepsBackContinuesWhereItWas() throws {
        let recorded = try Self.record(passes: 3, speed: 1)
        let (decoded, seconds) = (recorded.secondsDecoded, recorded.secondsSent)
        // Every frame kept, and the file as long as the sound in it: as long as the sender took.
        print("clock stepping back: \(decoded) s decoded of \(seconds) s sent")
        #expect(abs(decoded - seconds) < 0.1, "decoded \(decoded) s of \(seconds) s sent")
        #expect(abs(recorded.fileSeconds - seconds) < 0.1, "file \(recorded.fileSeconds) s of \(seconds) s")
        #expect(recorded.statistics.audioFramesMovedPastOverlap >= 2 * (recorded.clipPackets - 1), "\(recorded.statistics)")
        #expect(recorded.statistics.audioFramesDroppedAheadOfTime == 0)
    }

    /// A frame that starts a few milliseconds before the previous one ends (a hostile or broken clock) is moved
    /// to follow it; only the millisecond of rounding an honest sender shows is left alone.
    @Test func audioOverlappingByMoreThanRoundingIsMoved() throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        var (arrivals, _) = Self.arrivals(inputs.audio, passes: 1, speed: 1)
        // The 51st packet's clock 9 ms early: it would overlap the 50th by 9 ms.
        arrivals[50].packet.timestamp &-= 9 * 48
        let url = inputs.directory.appendingPathComponent("audio.webm")
        let (_, recorder) = try ParticipantRecorderTests.record(arrivals, to: url, expecting: [.audio])
        #expect(try ParticipantRecorderTests.decodeErrors(url).isEmpty)
        let statistics = try #require(recorder.trackStatistics.first)
        #expect(statistics.audioFramesMovedPastOverlap == 1, "\(statistics)")
    }

    @Test func moreAudioThanTimePassesIsCutToTheTimeItTook() throws {
        // Twice as much audio as time: 12 s of sound in 6 s.
        let recorded = try Self.record(passes: 4, speed: 2)
        let (decoded, seconds) = (recorded.secondsDecoded, recorded.secondsSent)
        let lead = Double(ParticipantRecorder.audioLeadLimitMilliseconds) / 1000
        print("more audio than time: \(decoded) s decoded of \(2 * seconds) s sent in \(seconds) s")
        #expect(decoded <= seconds + lead + 0.1, "decoded \(decoded) s in \(seconds) s")
        #expect(recorded.fileSeconds <= seconds + lead + 0.1, "file \(recorded.fileSeconds) s")
        #expect(recorded.statistics.audioFramesDroppedAheadOfTime > 0, "\(recorded.statistics)")
    }
}
