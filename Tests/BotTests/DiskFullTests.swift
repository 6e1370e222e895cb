import Foundation
@testable import MeetingKit
import Testing

/// The disk fills up mid-meeting (a 250 KB tmpfs, Tests/Interop/with-small-disk.sh). Each recording that cannot
/// write stops with its file closed and finalized where it stands, the log says so plainly, and the bot stays
/// in the meeting: a participant who joins afterwards is still connected and greeted, and SIGINT ends it cleanly.
extension InteropTests {
    @Suite(.serialized) struct DiskFullTests {
        @Test func aFullDiskClosesTheFilesPlayableAndTheMeetingGoesOn() throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("engage-disk-\(UUID().uuidString.prefix(8))")
            let small = scratch.appendingPathComponent("small"), copied = scratch.appendingPathComponent("copied")
            defer { try? FileManager.default.removeItem(at: scratch) }
            let launcher = Processes.packageRoot.appendingPathComponent("Tests/Interop/with-small-disk.sh").path
            let meeting = try InteropMeeting.run(
                ["--participant", "aiortc:carol@0", "--participant", "aiortc:dave@13", "--bot-at", "1", "--seconds", "20"],
                subcommand: "join {ws_url} --name recorder --output \(small.path)",
                launcher: [launcher, "250k", small.path, copied.path])

            let log = meeting.botLog
            #expect(log.contains("recording of carol stopped: writing failed") && log.contains("No space left on device"),
                    "the bot log does not say the disk is full: \(log.suffix(3000))")
            let bot = meeting.result["bot"] as? [String: Any] ?? [:]
            #expect(bot["exited_before_end"] as? Bool == false && bot["exit_code"] as? Int == 0, "bot: \(bot)")
            #expect(meeting.chatReceived(by: "dave").contains("recorder: 🔴 This meeting is being recorded by recorder."),
                    "dave, who joined with the disk full, was not greeted: \(meeting.chatReceived(by: "dave"))")

            let walker = FileManager.default.enumerator(at: copied, includingPropertiesForKeys: nil)
            var carolFile: URL?
            while let url = walker?.nextObject() as? URL {
                if url.lastPathComponent == "carol.webm" { carolFile = url }
            }
            let carol = try #require(carolFile, "no carol.webm; bot log: \(log.suffix(3000))")
            let probe = try MediaProbe.probe(carol)
            #expect(probe.decodeErrors.isEmpty, "carol: ffmpeg reported \(probe.decodeErrors)")
            #expect((probe.stream("video")?.seconds ?? 0) >= 3, "carol's video lasts \(probe.stream("video")?.seconds ?? 0) s")
            // Finalized in place when the write failed: a repair finds nothing to do.
            guard case .alreadyFinalized = try RecordingRepair.repair(path: carol.path) else {
                throw TestFailure("carol.webm was left unfinalized")
            }
        }
    }
}
