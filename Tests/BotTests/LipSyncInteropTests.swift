import Foundation
import MediaInspection
import Testing

/// Lip sync with a WebRTC stack we do not control: aiortc flashes and beeps together every 2 s while
/// its video path is 200 ms slower than its audio; the recording, decoded, must show them together.
extension InteropTests {
    @Suite(.serialized) struct LipSyncInteropTests {
        @Test func aiortcWithVideo200MillisecondsBehindIsRecordedInSync() throws {
            // Carol is there first (the bot answers her), dave joins later (the bot offers to him).
            let meeting = try InteropMeeting.run([
                "--participant", "aiortc:carol@0", "--participant", "aiortc:dave@4",
                "--aiortc-args", "carol:--flash-beep --delay-video-ms 200",
                "--aiortc-args", "dave:--flash-beep --delay-video-ms 200",
                "--bot-at", "1", "--seconds", "16",
            ])
            var measured: [String] = []
            for name in ["carol.webm", "dave.webm"] {
                let file = try meeting.recording(named: name)
                let probe = try MediaProbe.probe(file)
                #expect(probe.decodeErrors.isEmpty, "\(name): ffmpeg reported \(probe.decodeErrors)")
                let onsets = try AVOnsets.measure(file)
                let offsets = AVOnsets.offsets(video: onsets.video, audio: onsets.audio)
                measured.append("\(name) \(offsets.map { Int(($0 * 1000).rounded()) }) ms")
                #expect(offsets.count >= 3, "\(name): flashes \(onsets.video), beeps \(onsets.audio)")
                #expect(offsets.allSatisfy { abs($0) <= 0.015 }, "\(name): video minus audio \(offsets) s")
            }
            // Recorded for the project's notes: the decoded offsets, flash minus beep.
            print("aiortc lip sync with video 200 ms behind: \(measured.joined(separator: "; "))")
            let connections = try meeting.manifest()["connections"] as? [[String: Any]] ?? []
            #expect(connections.allSatisfy { $0["timelineOffsetMilliseconds"] is Int }, "\(connections)")
        }
    }
}
