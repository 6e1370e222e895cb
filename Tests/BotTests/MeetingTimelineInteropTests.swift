import Foundation
import MediaInspection
import Testing

/// One meeting timeline across participants the bot does not control: two aiortc processes flash and beep on
/// every even second of the time of day (so at the same instants), joining 4 s apart. Laid side by side by the
/// manifest's offsets, the two files show each shared flash within one frame (15 fps) of each other.
extension InteropTests {
    @Suite(.serialized) struct MeetingTimelineInteropTests {
        @Test func twoParticipantsLaidSideBySideByTheManifestShowTheSameInstantWithinAFrame() throws {
            let meeting = try InteropMeeting.run([
                "--participant", "aiortc:carol@0", "--participant", "aiortc:dave@4",
                "--aiortc-args", "carol:--flash-beep --wall-clock",
                "--aiortc-args", "dave:--flash-beep --wall-clock",
                "--bot-at", "1", "--seconds", "16",
            ])
            let connections = try meeting.manifest()["connections"] as? [[String: Any]] ?? []
            var flashesOnTimeline: [String: [Double]] = [:]
            for name in ["carol", "dave"] {
                let file = try meeting.recording(named: "\(name).webm")
                let probe = try MediaProbe.probe(file)
                #expect(probe.decodeErrors.isEmpty, "\(name): ffmpeg reported \(probe.decodeErrors)")
                guard let connection = connections.first(where: { $0["participant"] as? String == name && $0["kind"] as? String == "camera" }),
                    let offset = connection["timelineOffsetMilliseconds"] as? Int
                else { throw TestFailure("\(name) has no timeline offset in the manifest: \(connections)") }
                let onsets = try AVOnsets.measure(file)
                flashesOnTimeline[name] = onsets.video.map { $0 + Double(offset) / 1000 }
            }
            let carol = flashesOnTimeline["carol"] ?? [], dave = flashesOnTimeline["dave"] ?? []
            let frame = 1.0 / 15
            // Every flash of dave's while both were recorded (he joined later; the harness stops carol first) has
            // carol's flash of the same instant next to it.
            guard let carolFirst = carol.first, let carolLast = carol.last else { throw TestFailure("carol never flashed") }
            let shared = dave.filter { $0 >= carolFirst - frame && $0 <= carolLast + frame }
            let pairs = shared.compactMap { flash in carol.min { abs($0 - flash) < abs($1 - flash) }.map { (flash, $0) } }
            print("timeline: dave minus carol per shared flash: \(pairs.map { Int((($0.0 - $0.1) * 1000).rounded()) }) ms")
            #expect(pairs.count >= 3, "shared flashes: carol \(carol), dave \(dave)")
            #expect(pairs.allSatisfy { abs($0.0 - $0.1) <= frame }, "carol \(carol), dave \(dave)")
        }
    }
}
