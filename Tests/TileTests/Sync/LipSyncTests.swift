import Foundation
import MediaInspection
import Mesh
import Recorder
import Testing
import Tile

/// A sender whose video reaches us 200 ms after its audio, with correct RTCP sender reports, recorded
/// on virtual time; the file is judged by decoding it: flash and beep onsets must coincide.
@Suite struct LipSyncTests {
    static let video = MediaTrack(kind: .video, codec: .vp8, ssrc: 0xA1, payloadType: 96, clockRate: 90_000, mid: "1")
    static let audio = MediaTrack(kind: .audio, codec: .opus, ssrc: 0xB2, payloadType: 111, clockRate: 48_000, mid: "0")
    static let videoBase: UInt32 = 4_000_000_000
    static let audioBase: UInt32 = 1_234_567
    /// The sender's NTP clock at the clip's start: a plausible 2026 date, in 1900-based nanoseconds.
    static let senderNTPAtStart: Int64 = 3_973_000_000 * 1_000_000_000
    /// Where the clip's start falls on the receiver's monotonic clock.
    static let receiverAtStart: Int64 = 50_000_000_000

    enum Arrival {
        case packet(RTPPacket, MediaTrack, Timestamp)
        case report(ssrc: UInt32, ntp: NTPTime, rtp: UInt32, Timestamp)

        var at: Timestamp {
            switch self {
            case .packet(_, _, let at), .report(_, _, _, let at): at
            }
        }
    }

    static func ntp(_ nanoseconds: Int64) -> NTPTime {
        let seconds = UInt64(nanoseconds / 1_000_000_000)
        let fraction = (UInt64(nanoseconds % 1_000_000_000) << 32) / 1_000_000_000
        return NTPTime(rawValue: seconds << 32 | fraction)
    }

    /// The clip as RTP and sender reports, arriving with per-kind delays and a seeded jitter.
    static func arrivals(_ clip: FlashBeepClip, audioDelayMilliseconds: Int64, videoDelayMilliseconds: Int64,
                        senderReports: Bool, seed: UInt64) -> [Arrival] {
        var random = SplitMix64(seed: seed)
        func jitter() -> Int64 { Int64(random.next() % 8_000_000) }
        var arrivals: [Arrival] = []
        var packetizer = VP8Packetizer()
        var sequence: UInt16 = 100
        for frame in clip.video {
            let rtp = videoBase &+ UInt32(truncatingIfNeeded: frame.captureNanoseconds * 90_000 / 1_000_000_000)
            let arrival = receiverAtStart + frame.captureNanoseconds + videoDelayMilliseconds * 1_000_000 + jitter()
            let payloads = packetizer.packetize(frame.data[...])
            for (index, payload) in payloads.enumerated() {
                let packet = RTPPacket(payloadType: 96, sequenceNumber: sequence, timestamp: rtp, ssrc: video.ssrc,
                                       marker: index == payloads.count - 1, payload: payload[...])
                sequence &+= 1
                arrivals.append(.packet(packet, video, Timestamp(nanoseconds: arrival + Int64(index) * 100_000)))
            }
        }
        for (index, frame) in clip.audio.enumerated() {
            let rtp = audioBase &+ UInt32(truncatingIfNeeded: frame.captureNanoseconds * 48_000 / 1_000_000_000)
            let packet = RTPPacket(payloadType: 111, sequenceNumber: UInt16(truncatingIfNeeded: 7 + index),
                                   timestamp: rtp, ssrc: audio.ssrc, payload: frame.data[...])
            let arrival = receiverAtStart + frame.captureNanoseconds + audioDelayMilliseconds * 1_000_000 + jitter()
            arrivals.append(.packet(packet, audio, Timestamp(nanoseconds: arrival)))
        }
        if senderReports {
            // Chromium-like: video reports early and every second, audio first after ~1 s.
            for (track, first, base) in [(video, Int64(300), videoBase), (audio, Int64(1100), audioBase)] {
                var milliseconds = first
                while milliseconds < Int64(FlashBeepClip.seconds * 1000) {
                    let capture = milliseconds * 1_000_000
                    let rtp = base &+ UInt32(truncatingIfNeeded: capture * Int64(track.clockRate) / 1_000_000_000)
                    // RTCP shares the transport with audio: it comes with audio's delay.
                    let at = receiverAtStart + capture + audioDelayMilliseconds * 1_000_000
                    arrivals.append(.report(ssrc: track.ssrc, ntp: ntp(senderNTPAtStart + capture), rtp: rtp,
                                            Timestamp(nanoseconds: at)))
                    milliseconds += 1000
                }
            }
        }
        return arrivals.sorted { $0.at < $1.at }
    }

    /// Records the arrivals as the bot does (20 ms ticks between packets) and returns the file.
    static func record(_ arrivals: [Arrival], to url: URL) throws -> ParticipantRecorder {
        let timeline = MeetingTimeline(origin: Timestamp(nanoseconds: receiverAtStart - 2_000_000_000),
                                       unixNanosecondsAtOrigin: 1_796_000_000_000_000_000)
        var recorder = ParticipantRecorder(writingApp: "LipSyncTests", timeline: timeline)
        recorder.expect([.audio, .video])
        var bytes: [UInt8] = []
        func apply(_ outputs: [ParticipantRecorder.Output]) {
            for case .write(let chunk) in outputs { bytes += chunk }
        }
        var clock = arrivals.first?.at ?? .zero
        for arrival in arrivals {
            while clock + .milliseconds(20) < arrival.at {
                clock = clock + .milliseconds(20)
                apply(recorder.advance(to: clock))
            }
            clock = max(clock, arrival.at)
            switch arrival {
            case .packet(let packet, let track, let at):
                apply(recorder.push(packet, track: track, at: at))
            case .report(let ssrc, let ntp, let rtp, _):
                recorder.senderReport(ssrc: ssrc, ntp: ntp, rtpTimestamp: rtp)
            }
        }
        apply(recorder.finish(at: clock + .seconds(1)))
        try Data(bytes).write(to: url)
        return recorder
    }

    /// Video onset minus audio onset for each marked instant, in seconds.
    static func offsets(_ url: URL) throws -> [Double] {
        let onsets = try AVOnsets.measure(url)
        #expect(onsets.video.count == FlashBeepClip.eventSeconds.count, "flashes \(onsets.video)")
        #expect(onsets.audio.count == FlashBeepClip.eventSeconds.count, "beeps \(onsets.audio)")
        return zip(onsets.video, onsets.audio).map { $0 - $1 }
    }

    @Test func videoDelayed200MillisecondsIsPutBackInSyncBySenderReports() throws {
        let clip = try FlashBeepClip.make()
        let directory = try MediaCheck.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("synced.webm")
        let recorder = try Self.record(Self.arrivals(clip, audioDelayMilliseconds: 20, videoDelayMilliseconds: 220,
                                                     senderReports: true, seed: 7), to: url)
        #expect(try MediaCheck.decodeErrors(url).isEmpty)
        let offsets = try Self.offsets(url)
        #expect(!offsets.isEmpty && offsets.allSatisfy { abs($0) <= 0.015 }, "A/V offsets \(offsets)")
        #expect(recorder.lipSyncStatistics.placedByArrival == 0)
        #expect(recorder.lipSyncStatistics.implausible == 0)
        // The file's zero is on the session's timeline: the clip started 2 s after the session, and the
        // first audio arrived 20 ms after its capture.
        let placement = try #require(recorder.placement)
        #expect(abs(placement.timelineOffsetMilliseconds - 2_020) <= 10, "offset \(placement.timelineOffsetMilliseconds)")
    }

    @Test func withoutSenderReportsArrivalOrderIsAllThereIs() throws {
        // The same network without reports: the measurement sees the path difference, so it can fail.
        let clip = try FlashBeepClip.make()
        let directory = try MediaCheck.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("unsynced.webm")
        let recorder = try Self.record(Self.arrivals(clip, audioDelayMilliseconds: 20, videoDelayMilliseconds: 220,
                                                     senderReports: false, seed: 7), to: url)
        let offsets = try Self.offsets(url)
        #expect(!offsets.isEmpty && offsets.allSatisfy { $0 > 0.15 && $0 < 0.25 }, "A/V offsets \(offsets)")
        #expect(recorder.lipSyncStatistics.placedBySenderClock == 0)
    }

    @Test func audioAndVideoOnTheSamePathStayInSync() throws {
        let clip = try FlashBeepClip.make()
        let directory = try MediaCheck.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("same-path.webm")
        _ = try Self.record(Self.arrivals(clip, audioDelayMilliseconds: 40, videoDelayMilliseconds: 40,
                                          senderReports: true, seed: 11), to: url)
        let offsets = try Self.offsets(url)
        #expect(!offsets.isEmpty && offsets.allSatisfy { abs($0) <= 0.015 }, "A/V offsets \(offsets)")
    }
}
