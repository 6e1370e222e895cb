import Foundation
import Testing

/// `engage-bot crowd --replay` against `engage-bot serve`, recorded by `engage-bot join`: three processes,
/// as the benchmark runs them, on loopback.
extension InteropTests {
    @Suite struct CrowdTests {
        @Test func replayingCrowdIsRecordedWholeAndDecodesClean() throws {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("engage-crowd-\(UUID().uuidString.prefix(8))")
            let server = try RunningBot(["serve", "--port", "0"])
            defer { server.stop() }
            let port = try server.await(#"url=http://127\.0\.0\.1:(\d+)/"#, timeout: 10)
            let url = "ws://127.0.0.1:\(port)/crowd-test"
            let recorder = try RunningBot(["join", url, "--name", "recorder", "--output", output.path])
            defer { recorder.stop() }
            _ = try recorder.await("(signalling connected)", timeout: 10)
            let crowd = try RunningBot(["crowd", url, "--participants", "3", "--replay", "--seconds", "20", "--log-level", "info"])
            defer { crowd.stop() }
            // Three connections, then a few seconds of media, which crosses the 6 s clip's loop at least once.
            try recorder.await("receiving video vp8", count: 3, timeout: 20)
            Thread.sleep(forTimeInterval: 7)
            recorder.stop()
            crowd.stop()
            #expect(recorder.process.terminationStatus == 0, "recorder: \(recorder.log.suffix(2000))")

            let walker = FileManager.default.enumerator(at: output, includingPropertiesForKeys: nil)
            var files: [URL] = []
            while let entry = walker?.nextObject() as? URL {
                if entry.pathExtension == "webm" { files.append(entry) }
            }
            #expect(files.map(\.lastPathComponent).sorted() == ["synthetic-1.webm", "synthetic-2.webm", "synthetic-3.webm"])
            for file in files {
                let probe = try MediaProbe.probe(file)
                #expect(probe.decodeErrors.isEmpty, "\(file.lastPathComponent): \(probe.decodeErrors)")
                #expect(probe.stream("video")?.width == 640 && probe.stream("video")?.height == 480)
                #expect((probe.stream("video")?.seconds ?? 0) > 6, "\(file.lastPathComponent) shorter than one loop")
                #expect(probe.stream("audio")?.codec == "opus")
            }
            // The crowd connects to the recorder only, not among itself: one description sent per participant.
            let descriptions = crowd.log.split(separator: "\n").filter { $0.contains("description") && $0.contains("sending") }
            #expect(descriptions.count == 3, "crowd connections: \(descriptions)")
        }
    
        /// Five participants join within one second, after the recorder: it offers to each, all get connected.
        @Test func fiveJoinersWithinOneSecondAllGetConnected() throws {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("engage-five-\(UUID().uuidString.prefix(8))")
            let server = try RunningBot(["serve", "--port", "0"])
            defer { server.stop() }
            let port = try server.await(#"url=http://127\.0\.0\.1:(\d+)/"#, timeout: 10)
            let url = "ws://127.0.0.1:\(port)/five"
            let recorder = try RunningBot(["join", url, "--name", "recorder", "--output", output.path])
            defer { recorder.stop() }
            _ = try recorder.await("(signalling connected)", timeout: 10)
            let crowd = try RunningBot(["crowd", url, "--participants", "5", "--stagger-ms", "150", "--no-chat",
                                     "--seconds", "20", "--log-level", "info"])
            defer { crowd.stop() }
            try recorder.await("data channel open", count: 5, timeout: 20)
            try recorder.await("receiving video vp8", count: 5, timeout: 20)
            Thread.sleep(forTimeInterval: 3)
            recorder.stop()
            crowd.stop()
            let walker = FileManager.default.enumerator(at: output, includingPropertiesForKeys: nil)
            var files: [URL] = []
            while let entry = walker?.nextObject() as? URL {
                if entry.pathExtension == "webm" { files.append(entry) }
            }
            #expect(files.count == 5, "files: \(files.map(\.lastPathComponent))")
            for file in files {
                let probe = try MediaProbe.probe(file)
                #expect(probe.decodeErrors.isEmpty, "\(file.lastPathComponent): \(probe.decodeErrors)")
                #expect(probe.stream("video") != nil && probe.stream("audio") != nil)
            }
        }
    }
}
