@testable import Bot
@testable import MeetingKit
import Foundation
import Testing

/// `engage-bot demo` end to end, without a browser: embedded room, synthetic participants, the recorder.
///
/// One demo run (10 s, with a participant leaving and coming back) serves every test here, so a CI build
/// pays for it once. It spawns the built `engage-bot`, as a user would run it.
extension InteropTests {
    @Suite(.serialized) struct DemoTests {
        struct Run: Sendable {
            var status: Int32
            var output: String
            var log: String
            var session: URL
            var manifestData: Data

            var manifest: [String: Any] {
                (try? JSONSerialization.jsonObject(with: manifestData)) as? [String: Any] ?? [:]
            }

            var connections: [[String: Any]] { manifest["connections"] as? [[String: Any]] ?? [] }
            func connections(of participant: String, kind: String) -> [[String: Any]] {
                connections.filter { $0["participant"] as? String == participant && $0["kind"] as? String == kind }
            }
            var webmFiles: [URL] {
                ((try? FileManager.default.contentsOfDirectory(at: session, includingPropertiesForKeys: nil)) ?? [])
                    .filter { $0.pathExtension == "webm" }.sorted { $0.path < $1.path }
            }
        }

        /// Runs once per test process; every test reads the same result.
        static let shared: Result<Run, any Error> = Result {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("engage-demo-\(UUID().uuidString.prefix(8))")
            let result = try Processes.run(try Processes.botExecutable.path, [
                "demo", "--seconds", "10", "--participants", "3", "--rejoin", "--output", output.path, "--log-level", "info",
            ])
            let sessions = try FileManager.default.contentsOfDirectory(at: output, includingPropertiesForKeys: nil)
            guard let session = sessions.first(where: { $0.lastPathComponent.hasPrefix("demo-") }) else {
                throw TestFailure("no session folder in \(output.path); output: \(result.standardOutput.suffix(2000))")
            }
            let data = try Data(contentsOf: session.appendingPathComponent("manifest.json"))
            return Run(status: result.status, output: result.standardOutput, log: result.standardError, session: session,
                       manifestData: data)
        }

        @Test func meshWithSyntheticParticipantsBothRolesChatScreenAndRejoin() throws {
            let run = try Self.shared.get()
            #expect(run.status == 0, "demo exited \(run.status): \(run.output.suffix(1500)) \(run.log.suffix(1500))")
            // synthetic-1 was there first: the recorder answered it; the others came later: it offered to them.
            #expect(run.connections(of: "synthetic-1", kind: "camera").first?["role"] as? String == "answerer")
            #expect(run.connections(of: "synthetic-3", kind: "camera").first?["role"] as? String == "offerer")
            // synthetic-1 shared its screen from the start, so it offered the recorder a screen connection.
            let screen = try #require(run.connections(of: "synthetic-1", kind: "screen").first, "no screen connection: \(run.connections)")
            #expect(screen["role"] as? String == "answerer")
            #expect((screen["tracks"] as? [[String: Any]])?.contains { $0["codec"] as? String == "vp8" } == true)
            // synthetic-2 left and came back: two camera connections, the first ended by the peer.
            let second = run.connections(of: "synthetic-2", kind: "camera")
            #expect(second.count == 2, "synthetic-2 connections: \(second)")
            #expect(second.first?["endReason"] as? String != "the bot left")
            // Every participant chatted, as "NAME: TEXT", and the recorder kept it.
            let transcript = try String(contentsOf: run.session.appendingPathComponent("chat.txt"), encoding: .utf8)
            for name in ["synthetic-1", "synthetic-2", "synthetic-3"] {
                #expect(transcript.contains("\(name): "), "no chat from \(name) in:\n\(transcript)")
            }
            #expect(run.output.contains("seconds (RTP)"), "no table in the demo's output:\n\(run.output.suffix(1500))")
        }

        @Test func demoRecordingsDecodeCleanAndHoldBothTracks() throws {
            let run = try Self.shared.get()
            let files = run.webmFiles
            // synthetic-1 camera + screen, synthetic-2 twice, synthetic-3.
            #expect(files.count >= 5, "files: \(files.map(\.lastPathComponent))")
            for file in files {
                let probe = try MediaProbe.probe(file)
                #expect(probe.decodeErrors.isEmpty, "\(file.lastPathComponent): \(probe.decodeErrors)")
                #expect(probe.stream("video")?.codec == "vp8", "\(file.lastPathComponent): \(probe.streams)")
                #expect(probe.stream("audio")?.codec == "opus", "\(file.lastPathComponent): \(probe.streams)")
                #expect((probe.stream("video")?.seconds ?? 0) > 2, "\(file.lastPathComponent) video too short")
                // Closed cleanly (a participant left, or the bot stopped): finalized, with its duration.
                let duration = try RecordingRepairTests.formatDuration(file)
                #expect(duration >= (probe.stream("video")?.seconds ?? .infinity), "\(file.lastPathComponent): \(duration) s")
                let repair = try RecordingRepair.repair(path: file.path)
                guard case .alreadyFinalized = repair else {
                    Issue.record("\(file.lastPathComponent) was not finalized on close: \(repair)")
                    continue
                }
            }
            #expect(FileManager.default.fileExists(atPath: run.session.appendingPathComponent("chat.txt").path))
            #expect(FileManager.default.fileExists(atPath: run.session.appendingPathComponent("chat.jsonl").path))
        }
    }
}
