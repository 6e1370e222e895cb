import Foundation
import Testing

/// The foundation's proof: the bot joins a real room after a headless Chromium and records it.
extension InteropTests {
    @Suite(.serialized) struct ChromiumRecordingTests {
        @Test func recordsABrowserThatWasThereFirst() throws {
            let meeting = try InteropMeeting.run(["--participant", "alice@0", "--bot-at", "2", "--seconds", "23"])
            let file = try meeting.recording(named: "alice.webm")
            let probe = try MediaProbe.probe(file)
            #expect(probe.decodeErrors.isEmpty, "ffmpeg reported: \(probe.decodeErrors)")
            let video = try #require(probe.stream("video"), "no video stream in \(file.path)")
            let audio = try #require(probe.stream("audio"), "no audio stream in \(file.path)")
            #expect(video.codec == "vp8")
            #expect(audio.codec == "opus")
            #expect(video.seconds >= 15, "video lasts \(video.seconds) s")
            #expect(audio.seconds >= 15, "audio lasts \(audio.seconds) s")
            #expect(video.width == 320 && video.height == 240)

            // The browser's own view: its outbound streams are acknowledged by our receiver reports.
            let stats = try #require(meeting.stats(of: "alice", towards: "recorder"), "alice has no connection to the bot")
            let acknowledged = stats["remoteInbound"] as? [String: [String: Any]] ?? [:]
            for kind in ["audio", "video"] {
                let measurements = acknowledged[kind]?["roundTripTimeMeasurements"] as? Int ?? 0
                #expect(measurements > 0, "alice's \(kind) was never acknowledged by an RTCP receiver report")
            }
            #expect(meeting.botLog.contains("first media packet"), "bot log: \(meeting.botLog.suffix(2000))")
        }
    }
}
