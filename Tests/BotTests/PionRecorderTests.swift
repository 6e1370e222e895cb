import Foundation
import Testing

/// The reference recorder the bench sets beside the bot (Tools/pion/recorder, Pion v3 in Go) records a
/// crowd of two on `engage-bot serve`: its IVF and Ogg files decode clean, and its stats file counts the
/// packets the files hold. Not a performance test: `engage-bot bench --compare-pion` measures.
extension InteropTests {
    @Suite(.serialized) struct PionRecorderTests {
        /// There first, the recorder offers to each participant's `new-peer`; joining last, it answers their offers.
        @Test(arguments: [true, false]) func referenceRecorderWritesFilesThatDecodeAndCountsPackets(recorderJoinsFirst: Bool) throws {
            let executable = try PionReferenceRecorder.executable.get()
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("engage-pion-recorder-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: output) }
            let statsFile = output.appendingPathComponent("stats.json")
            let server = try RunningBot(["serve", "--port", "0"])
            defer { server.stop() }
            let port = try server.await(#"url=http://127\.0\.0\.1:(\d+)/"#, timeout: 10)
            let url = "ws://127.0.0.1:\(port)/pion-recorder"
            let startRecorder = { try RunningBot(["--ws", url, "--output", output.path, "--stats", statsFile.path], executable: executable) }
            let startCrowd = {
                try RunningBot(["crowd", url, "--participants", "2", "--replay", "--no-chat", "--seconds", "30", "--log-level", "info"])
            }
            let recorder: RunningBot, crowd: RunningBot
            if recorderJoinsFirst {
                recorder = try startRecorder()
                _ = try recorder.await("(websocket open)", timeout: 10)
                crowd = try startCrowd()
            } else {
                crowd = try startCrowd()
                try crowd.await("signalling connected", count: 2, timeout: 20)
                Thread.sleep(forTimeInterval: 1) // their new-peer frames are out before the recorder is in the room
                recorder = try startRecorder()
            }
            defer { recorder.stop(); crowd.stop() }
            // One connection per participant, each logging its first packet.
            try recorder.await("first media packet", count: 2, timeout: 20)
            Thread.sleep(forTimeInterval: 6)
            recorder.stop()
            crowd.stop()
            let context: Comment = "recorder log: \(recorder.log.suffix(2500))"
            #expect(recorder.process.terminationReason == .exit && recorder.process.terminationStatus == 0, context)

            let data = try Data(contentsOf: statsFile)
            let stats = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "stats: \(String(decoding: data, as: UTF8.self))")
            #expect((stats["errors"] as? [String] ?? []).isEmpty, "recorder errors: \(stats["errors"] ?? "?")\n\(context)")
            let connections = stats["connections"] as? [[String: Any]] ?? []
            #expect(connections.compactMap { $0["peer"] as? String }.sorted() == ["synthetic-1", "synthetic-2"], "\(connections)")
            var total = 0
            for connection in connections {
                let peer = connection["peer"] as? String ?? "?"
                #expect(connection["role"] as? String == (recorderJoinsFirst ? "offerer" : "answerer"), "\(connection)")
                #expect(connection["firstMediaMilliseconds"] as? Int ?? -1 >= 0, "\(connection)")
                let tracks = connection["tracks"] as? [[String: Any]] ?? []
                #expect(tracks.compactMap { $0["kind"] as? String }.sorted() == ["audio", "video"], "\(peer): \(tracks)")
                for track in tracks {
                    let kind = track["kind"] as? String ?? "?"
                    let received = track["packetsReceived"] as? Int ?? 0
                    total += received
                    #expect(track["writeErrors"] as? Int == 0, "\(peer) \(kind): \(track)")
                    let file = URL(fileURLWithPath: try #require(track["file"] as? String, "\(track)"))
                    let probe = try MediaProbe.probe(file)
                    #expect(probe.decodeErrors.isEmpty, "\(file.lastPathComponent): ffmpeg reported \(probe.decodeErrors)")
                    let stream = try #require(probe.stream(kind), "\(file.lastPathComponent) has no \(kind): \(probe.streams)")
                    // Several seconds of media: 50 Opus packets a second, a VP8 frame of one or more packets 30 times a second.
                    #expect(received >= 200, "\(peer) \(kind): \(received) packets")
                    #expect(stream.seconds >= 4, "\(file.lastPathComponent) lasts \(stream.seconds) s")
                    if kind == "audio" {
                        // The Ogg writer puts each RTP payload in a page of its own: one Opus packet per RTP packet
                        // (give or take the last page, which Pion's writer rewrites as the end of the stream).
                        #expect(stream.codec == "opus", "\(probe.streams)")
                        #expect(abs(stream.packets - received) <= max(5, received / 50),
                                "\(file.lastPathComponent): \(stream.packets) Opus packets for \(received) RTP packets")
                    } else {
                        #expect(stream.codec == "vp8" && stream.width == 640 && stream.height == 480, "\(probe.streams)")
                        #expect(stream.packets > 0 && stream.packets < received, "\(file.lastPathComponent): \(stream.packets) frames")
                    }
                }
            }
            #expect(stats["packetsReceived"] as? Int == total, "the total is the tracks' sum: \(stats["packetsReceived"] ?? "?") / \(total)")
            #expect(stats["packetsLost"] as? Int != nil, "\(stats.keys)")
            print("Pion reference recorder (\(recorderJoinsFirst ? "offering" : "answering")): \(total) packets in 4 files, lost \(stats["packetsLost"] ?? "?"), first media "
                  + "\(connections.compactMap { $0["firstMediaMilliseconds"] as? Int }) ms")
        }
    }
}

/// The reference recorder, built once per test run from Tools/pion/recorder with Debian's Go packages (scripts/setup.sh).
enum PionReferenceRecorder {
    static let executable: Result<URL, TestFailure> = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engage-pion-\(UUID().uuidString.prefix(8))")
        let output = directory.appendingPathComponent("pion-recorder")
        let script = Processes.packageRoot.appendingPathComponent("Tools/pion/build.sh").path
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let build = try Processes.run("/bin/bash", [script, output.path, "recorder"])
            guard build.status == 0, FileManager.default.isExecutableFile(atPath: output.path) else {
                return .failure(TestFailure("Tools/pion/build.sh recorder failed (\(build.status)); run scripts/setup.sh: \(build.standardError.suffix(2000))"))
            }
            return .success(output)
        } catch {
            return .failure(TestFailure("Tools/pion/build.sh could not run: \(error)"))
        }
    }()
}
