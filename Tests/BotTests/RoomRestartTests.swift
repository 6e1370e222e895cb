import Foundation
import Testing

/// The room server crashes mid-meeting (SIGKILL: no close frames) and comes back on the same address.
/// Media flows peer to peer, so the recording of whoever was there goes on through the outage; the bot
/// reconnects within seconds, so someone who joins the restarted room is offered a connection and
/// recorded into a file of their own.
extension InteropTests {
    @Suite(.serialized) struct RoomRestartTests {
        @Test func theBotIsBackInARestartedRoomWithinFiveSecondsAndRecordsANewcomer() throws {
            let meeting = try InteropMeeting.run([
                "--participant", "aiortc:carol@0", "--participant", "aiortc:dave@13", "--bot-at", "1",
                "--restart-room", "6:2", "--seconds", "22",
            ])
            let harness = meeting.result["harness"] as? [String: Any] ?? [:]
            let timeline = harness["timeline"] as? [[String: Any]] ?? []
            guard let restart = timeline.first(where: { $0["event"] as? String == "restart-room" }),
                restart["ok"] as? Bool == true, let roomBack = restart["finished"] as? Double,
                let daveJoined = timeline.first(where: { $0["event"] as? String == "join" && $0["who"] as? String == "dave" })?["started"] as? Double
            else { throw TestFailure("the harness did not restart the room: \(timeline)") }
            // Dave's `new-peer` reaches only those connected when he sends it: the bot must be back by then.
            #expect(daveJoined - roomBack <= 5, "dave joined \(daveJoined - roomBack) s after the room came back")
            #expect(meeting.botLog.contains("signalling reconnected"), "bot log: \(meeting.botLog.suffix(2000))")

            let carol = try MediaProbe.probe(try meeting.recording(named: "carol.webm"))
            #expect(carol.decodeErrors.isEmpty, "carol: ffmpeg reported \(carol.decodeErrors)")
            // The bot joined at 1 s and stopped at 22 s; the outage (6-9 s) must not cut her file.
            for kind in ["video", "audio"] {
                #expect((carol.stream(kind)?.seconds ?? 0) >= 18, "carol's \(kind) lasts \(carol.stream(kind)?.seconds ?? 0) s")
            }
            let dave = try MediaProbe.probe(try meeting.recording(named: "dave.webm"))
            #expect(dave.decodeErrors.isEmpty, "dave: ffmpeg reported \(dave.decodeErrors)")
            for kind in ["video", "audio"] {
                #expect((dave.stream(kind)?.seconds ?? 0) >= 6, "dave's \(kind) lasts \(dave.stream(kind)?.seconds ?? 0) s")
            }
        }
    }
}
