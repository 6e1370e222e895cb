import Foundation
import MediaInspection
import Mesh
import Recorder
import Testing
import Tile

/// Two participants in one session, joining 1.3 s apart, whose pictures flash at the same instants:
/// laid side by side by the manifest's offsets, their files flash together.
@Suite struct MeetingTimelineTests {
    @Test func filesLaidSideBySideByTheirOffsetsShowTheSameInstantWithinAFrame() throws {
        let clip = try FlashBeepClip.make()
        let directory = try MediaCheck.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var flashesOnTimeline: [[Double]] = []
        var placements: [Int64] = []
        // Both capture the same instants; Bob's sender clock is 5 s off Alice's, his paths 3 ms slower,
        // and the recorder hears from him only from 1.3 s on (he joined later).
        for (name, joinedAfter, delay, ntpShift, seed) in [("alice", Int64(0), Int64(25), UInt64(0), UInt64(1)),
                                                          ("bob", Int64(1300), Int64(28), UInt64(5) << 32, 2)] {
            let joined = Timestamp(nanoseconds: LipSyncTests.receiverAtStart) + .milliseconds(joinedAfter)
            let arrivals: [LipSyncTests.Arrival] = LipSyncTests.arrivals(
                clip, audioDelayMilliseconds: delay, videoDelayMilliseconds: delay + 3, senderReports: true, seed: seed
            ).compactMap { arrival in
                guard arrival.at >= joined else { return nil }
                switch arrival {
                case .packet: return arrival
                case .report(let ssrc, let ntp, let rtp, let at):
                    return .report(ssrc: ssrc, ntp: NTPTime(rawValue: ntp.rawValue &+ ntpShift), rtp: rtp, at)
                }
            }
            let url = directory.appendingPathComponent("\(name).webm")
            let recorder = try LipSyncTests.record(arrivals, to: url)
            let placement = try #require(recorder.placement)
            placements.append(placement.timelineOffsetMilliseconds)
            let onsets = try AVOnsets.measure(url)
            flashesOnTimeline.append(onsets.video.map { $0 + Double(placement.timelineOffsetMilliseconds) / 1000 })
        }
        #expect(placements[1] > placements[0] + 1000, "bob's file starts later on the timeline: \(placements)")
        // Bob's video starts at the keyframe after his join (2 s): he has the last two flashes.
        let alice = flashesOnTimeline[0], bob = flashesOnTimeline[1]
        #expect(alice.count == 3 && bob.count == 2, "alice \(alice) bob \(bob)")
        let frame = 1.0 / Double(FlashBeepClip.fps)
        for (a, b) in zip(alice.suffix(2), bob) { #expect(abs(a - b) <= frame, "alice \(a) bob \(b)") }
    }
}
