import Foundation
import Testing

/// `kill -9` on a recording bot, then `engage-bot repair` on what it left: every file becomes a
/// finalized one that decodes clean and lasts as long as the live file did.
extension InteropTests {
    @Suite(.serialized) struct KilledRecorderTests {
        @Test func filesLeftByAKilledBotAreRepaired() throws {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("engage-kill-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: output) }
            let bot = Process()
            bot.executableURL = try Processes.botExecutable
            bot.arguments = ["demo", "--seconds", "60", "--participants", "2", "--output", output.path]
            bot.standardOutput = FileHandle.nullDevice
            bot.standardError = FileHandle.nullDevice
            try bot.run()
            // Kill once every camera file holds a few seconds of media (its size only says that it grows;
            // what it holds is judged by decoding below).
            var files: [URL] = []
            for _ in 0..<600 where bot.isRunning {
                files = ((try? FileManager.default.subpathsOfDirectory(atPath: output.path)) ?? [])
                    .filter { $0.hasSuffix(".webm") }.map { output.appendingPathComponent($0) }
                let sizes = files.map { ((try? FileManager.default.attributesOfItem(atPath: $0.path))?[.size] as? Int) ?? 0 }
                if sizes.count >= 2, sizes.allSatisfy({ $0 > 150_000 }) { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            kill(bot.processIdentifier, SIGKILL)
            bot.waitUntilExit()
            #expect(bot.terminationReason == .uncaughtSignal)
            try #require(files.count >= 2, "the demo wrote \(files.map(\.lastPathComponent))")

            for file in files {
                let live = try MediaProbe.probe(file)
                let liveSeconds = live.streams.map(\.seconds).max() ?? 0
                let repair = try Processes.run(try Processes.botExecutable.path, ["repair", file.path])
                #expect(repair.status == 0, "\(repair.standardOutput) \(repair.standardError)")
                #expect(repair.standardOutput.contains(": finalized,"), "was live: \(repair.standardOutput)")

                let repaired = try MediaProbe.probe(file)
                #expect(repaired.decodeErrors.isEmpty, "\(file.lastPathComponent): \(repaired.decodeErrors)")
                #expect(repaired.streams.map(\.packets) == live.streams.map(\.packets), "\(file.lastPathComponent): no frame lost")
                let duration = try RecordingRepairTests.formatDuration(file)
                #expect(abs(duration - liveSeconds) < 1, "\(file.lastPathComponent): \(duration) s, live \(liveSeconds) s")
            }
        }
    }
}
