import Mesh
import Testing
@testable import Recorder

@Suite struct LipSyncPlacementTests {
    static let second: Int64 = 1_000_000_000

    static func ntp(seconds: Double) -> NTPTime {
        let whole = UInt64(seconds)
        let fraction = UInt64((seconds - Double(whole)) * 4_294_967_296)
        return NTPTime(rawValue: whole << 32 | fraction)
    }

    @Test func aSenderReportMapsRTPToCaptureTimeAcrossTheWrap() throws {
        var clock = CaptureClock(clockRate: 90_000)
        #expect(clock.captureNanoseconds(rtpTimestamp: 0) == nil)
        clock.senderReport(ntp: Self.ntp(seconds: 100.25), rtpTimestamp: UInt32.max - 44_999)
        // 90,000 ticks later, across the 32-bit wrap: one second later (to NTP's 0.23 ns resolution).
        let later = try #require(clock.captureNanoseconds(rtpTimestamp: 45_000))
        #expect(abs(later - 101_250_000_000) <= 1, "\(later)")
        let earlier = try #require(clock.captureNanoseconds(rtpTimestamp: UInt32.max - 134_999))
        #expect(abs(earlier - 99_250_000_000) <= 1, "\(earlier)")
        clock.senderReport(ntp: Self.ntp(seconds: 101.25), rtpTimestamp: 45_000)
        #expect(clock.jumps == 0)
        clock.senderReport(ntp: Self.ntp(seconds: 500), rtpTimestamp: 135_000)
        #expect(clock.jumps == 1)
    }

    @Test func framesCapturedTogetherArePlacedTogetherWhateverTheirDelay() {
        var sync = LipSync()
        sync.addTrack(ssrc: 1, clockRate: 48_000)
        sync.addTrack(ssrc: 2, clockRate: 90_000)
        sync.senderReport(ssrc: 1, ntp: Self.ntp(seconds: 1000), rtpTimestamp: 0)
        sync.senderReport(ssrc: 2, ntp: Self.ntp(seconds: 1000), rtpTimestamp: 500)
        var audio: [Int64] = []
        var video: [Int64] = []
        // Capture instants every 100 ms; audio arrives 30 ms later, video 230 ms later.
        for step in 0..<50 {
            let capture = Int64(step) * 100_000_000
            audio.append(sync.place(ssrc: 1, rtpTimestamp: UInt32(step * 4_800),
                                    receivedAt: Timestamp(nanoseconds: 7 * Self.second + capture + 30_000_000)).nanoseconds)
            video.append(sync.place(ssrc: 2, rtpTimestamp: UInt32(500 + step * 9_000),
                                    receivedAt: Timestamp(nanoseconds: 7 * Self.second + capture + 230_000_000)).nanoseconds)
        }
        for (a, v) in zip(audio, video) { #expect(abs(a - v) < 1_000_000, "audio \(a) video \(v)") }
        // The faster path lands where it arrived.
        #expect(audio.first == 7 * Self.second + 30_000_000)
        #expect(sync.statistics.placedByArrival == 0)
    }

    /// A receiver stalled for a second while the offset was still slewing down: the frames that then arrive all
    /// at once must keep their spacing (never two frames at one instant, which players read as a broken stream).
    @Test func aBurstOfArrivalsAfterAStallKeepsEveryFrameApart() {
        var sync = LipSync()
        sync.addTrack(ssrc: 1, clockRate: 48_000)
        sync.senderReport(ssrc: 1, ntp: Self.ntp(seconds: 1000), rtpTimestamp: 0)
        var positions: [Int64] = []
        let frame: Int64 = 20_000_000
        for step in 0..<300 {
            let capture = Int64(step) * frame
            let arrival: Int64
            switch capture {
            case ..<(2 * Self.second): arrival = capture + 100_000_000  // a slow path first,
            case ..<(3 * Self.second): arrival = capture + 30_000_000  // then a fast one: the offset slews down,
            case ..<(4 * Self.second): arrival = 4 * Self.second + 30_000_000  // a stall: one burst at 4.03 s,
            default: arrival = capture + 30_000_000
            }
            positions.append(sync.place(ssrc: 1, rtpTimestamp: UInt32(step * 960),
                                        receivedAt: Timestamp(nanoseconds: 5 * Self.second + arrival)).nanoseconds)
        }
        let gaps = zip(positions.dropFirst(), positions).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 >= frame - frame / 50 }, "closest frames \(gaps.min() ?? 0) ns apart")
        // The path got faster by 70 ms, and the placement followed it (bent in, not jumped).
        #expect(positions.last! - (5 * Self.second + 299 * frame) < 60_000_000)
    }

    @Test func beforeAnyReportFramesArePlacedByArrivalThenBentNotJumped() {
        var sync = LipSync()
        sync.addTrack(ssrc: 9, clockRate: 90_000)
        var positions: [Int64] = []
        for step in 0..<30 {
            if step == 10 {
                // The report says capture was 150 ms earlier than arrival placement assumed.
                sync.senderReport(ssrc: 9, ntp: Self.ntp(seconds: 2000), rtpTimestamp: UInt32(step * 3_000))
            }
            positions.append(sync.place(ssrc: 9, rtpTimestamp: UInt32(step * 3_000),
                                        receivedAt: Timestamp(nanoseconds: Self.second + Int64(step) * 33_333_333)).nanoseconds)
        }
        let steps = zip(positions.dropFirst(), positions).map { $0 - $1 }
        // Never backwards, never more than the 2 % slew away from the frame spacing.
        #expect(steps.allSatisfy { $0 > 0 && abs($0 - 33_333_333) <= 33_333_333 / 50 + 1 }, "steps \(steps)")
    }

    @Test func reportsStampedWithAStallingSendersSendTimeNeverPushFramesBackwards() {
        // Like aiortc or our own tile under load: each report's mapping is off by up to ±60 ms.
        var sync = LipSync()
        sync.addTrack(ssrc: 3, clockRate: 48_000)
        var positions: [Int64] = []
        for step in 0..<500 {
            if step % 50 == 0 {
                let wobble = step % 100 == 0 ? 0.06 : -0.06
                sync.senderReport(ssrc: 3, ntp: Self.ntp(seconds: 3000 + Double(step) * 0.02 + wobble),
                                  rtpTimestamp: UInt32(step * 960))
            }
            positions.append(sync.place(ssrc: 3, rtpTimestamp: UInt32(step * 960),
                                        receivedAt: Timestamp(nanoseconds: Self.second + Int64(step) * 20_000_000)).nanoseconds)
        }
        let steps = zip(positions.dropFirst(), positions).map { $0 - $1 }
        #expect(steps.allSatisfy { abs($0 - 20_000_000) <= 20_000_000 / 50 + 1 }, "steps \(steps.filter { abs($0 - 20_000_000) > 400_001 })")
        #expect(sync.statistics.reanchors == 9)
    }

    @Test func hostileReportsCannotDragFramesFarFromTheirArrival() {
        var sync = LipSync()
        sync.addTrack(ssrc: 5, clockRate: 48_000)
        for (index, raw) in [UInt64.max, 0, 1 << 63, 12_345].enumerated() {
            sync.senderReport(ssrc: 5, ntp: NTPTime(rawValue: raw), rtpTimestamp: UInt32(index * 7))
            for step in 0..<20 {
                let arrival = Int64(index * 20 + step) * 20_000_000 + Self.second
                let position = sync.place(ssrc: 5, rtpTimestamp: UInt32((index * 20 + step) * 960),
                                          receivedAt: Timestamp(nanoseconds: arrival)).nanoseconds
                #expect(position <= arrival + LipSync.plausibleLeadNanoseconds)
                #expect(position >= arrival - LipSync.plausibleLagNanoseconds)
            }
        }
        // An unknown SSRC is placed at its arrival and creates no state.
        #expect(sync.place(ssrc: 77, rtpTimestamp: 1, receivedAt: Timestamp(nanoseconds: 3)).nanoseconds == 3)
        #expect(!sync.hasSenderReport(ssrc: 77))
    }
}
