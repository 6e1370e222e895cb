import Foundation
import Testing
@testable import MeetingKit

/// `engage-bot service` as a web app drives it (docs/api.md): an embedded room server, synthetic participants
/// in two rooms (one of them with a hostile participant), the service recording both at once; every answer
/// checked against the OpenAPI document the repository keeps, `/metrics` read by Prometheus' own parser,
/// files judged by decoding them, and SIGTERM draining a running recording.
extension InteropTests {
    @Suite struct ServiceTests {
        @Test func serviceRecordsTwoRoomsOnRequestAndDrainsOnSIGTERM() throws {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("engage-service-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: output) }
            let server = try RunningBot(["serve", "--port", "0"])
            defer { server.stop() }
            let roomPort = try server.await(#"url=http://127\.0\.0\.1:(\d+)/"#, timeout: 15)
            let hooks = output.appendingPathComponent("webhooks.jsonl")
            let finishedList = output.appendingPathComponent("finished.txt")
            let receiver = try WebhookReceiver(log: hooks)
            defer { receiver.stop() }
            let service = try RunningBot(["service", "--port", "0", "--output", output.path, "--max-recordings", "2",
                                          "--grace", "20", "--webhook-url", "http://127.0.0.1:\(receiver.port)/hooks",
                                          "--webhook-secret", WebhookReceiver.secret,
                                          "--on-finalized", "echo \"$ENGAGE_FILE_KIND $ENGAGE_RECORDING_ID $ENGAGE_FILE\" >> '\(finishedList.path)'"])
            defer { service.stop() }
            let servicePort = try #require(Int(try service.await(#"service listening on http://127\.0\.0\.1:(\d+)"#, timeout: 20)))
            let client = ServiceClient(port: servicePort, contract: try OpenAPIContract())

            // Up and admitting; the served contract is the one in the repository.
            #expect(try client.call("GET", "/healthz").status == 200)
            #expect(try client.call("GET", "/readyz").status == 200)
            let served = try client.call("GET", "/v1/openapi.json")
            #expect(served.body == (try Data(contentsOf: OpenAPIContract.path)))

            // Bad requests are 4xx with a JSON message, never a crash.
            #expect(try client.call("POST", "/v1/recordings", rawBody: Data("{not json".utf8)).status == 400)
            let badURL = try client.call("POST", "/v1/recordings", json: ["room_url": "ftp://example/room"])
            #expect(badURL.status == 400)
            #expect(((try badURL.json["error"] as? [String: Any])?["message"] as? String ?? "").contains("room_url"))
            #expect(try client.call("POST", "/v1/recordings", json: ["bot_name": "nobody"]).status == 400)
            #expect(try client.call("GET", "/v1/recordings/none", template: "/v1/recordings/{id}").status == 404)
            #expect(try client.call("DELETE", "/v1/recordings/none", template: "/v1/recordings/{id}").status == 404)
            #expect(try client.call("POST", "/v1/recordings/none/chat", template: "/v1/recordings/{id}/chat",
                                    json: ["text": "hi"]).status == 404)

            // A room nobody can reach fails its recording, not the service.
            let lost = try client.call("POST", "/v1/recordings", json: ["room_url": "ws://127.0.0.1:9/nowhere", "bot_name": "lost"])
            #expect(lost.status == 201)
            let lostID = try #require(try lost.json["id"] as? String)
            let lostView = try poll(client, lostID, timeout: 40) { $0["state"] as? String == "failed" }
            #expect((lostView["failure"] as? String ?? "").contains("cannot be reached"), "\(lostView)")

            // Two rooms at once: alpha with two synthetic participants, beta with one and a hostile participant.
            let alphaURL = "ws://127.0.0.1:\(roomPort)/alpha"
            let betaURL = "ws://127.0.0.1:\(roomPort)/beta"
            let alpha = try client.call("POST", "/v1/recordings", json: [
                "room_url": alphaURL, "bot_name": "recorder-a", "metadata": ["meeting": "weekly"]])
            #expect(alpha.status == 201)
            let alphaID = try #require(try alpha.json["id"] as? String)
            #expect((try alpha.json["metadata"] as? [String: String]) == ["meeting": "weekly"])
            let beta = try client.call("POST", "/v1/recordings", json: ["room_url": betaURL, "bot_name": "recorder-b"])
            let betaID = try #require(try beta.json["id"] as? String)
            _ = try poll(client, alphaID, timeout: 20) { $0["state"] as? String == "recording" }
            _ = try poll(client, betaID, timeout: 20) { $0["state"] as? String == "recording" }

            let crowdAlpha = try RunningBot(["crowd", alphaURL, "--participants", "2", "--seconds", "120", "--no-chat"])
            defer { crowdAlpha.stop() }
            let crowdBeta = try RunningBot(["crowd", betaURL, "--participants", "1", "--seconds", "120", "--no-chat"])
            defer { crowdBeta.stop() }
            let hostileReport = output.appendingPathComponent("hostile.json")
            let hostile = try RunningBot(
                [Processes.packageRoot.appendingPathComponent("Tests/Interop/hostile_client.py").path,
                 "--ws", betaURL, "--bot-name", "recorder-b", "--bot-pid", "\(service.process.processIdentifier)",
                 "--attack-after", "1", "--report", hostileReport.path],
                executable: Processes.python3)
            defer { hostile.stop() }

            // The synthetic participants are present and their media is arriving (the attacker's connections
            // in beta count as participants too while they last, so beta is judged by name).
            let withMedia: ([String: Any], [String]) -> Bool = { view, names in
                let present = Set(view["participants"] as? [String] ?? [])
                let flowing = Set((view["files"] as? [[String: Any]] ?? [])
                    .filter { ($0["packets_received"] as? Int ?? 0) > 100 }.compactMap { $0["participant"] as? String })
                return names.allSatisfy { present.contains($0) && flowing.contains($0) }
            }
            _ = try poll(client, alphaID, timeout: 60) { withMedia($0, ["synthetic-1", "synthetic-2"]) }
            _ = try poll(client, betaID, timeout: 60) { withMedia($0, ["synthetic-1"]) }
            // Let the attack run its course against beta while both rooms record.
            Thread.sleep(forTimeInterval: 8)

            // Chat into alpha reaches both participants.
            let chat = try client.call("POST", "/v1/recordings/\(alphaID)/chat", template: "/v1/recordings/{id}/chat",
                                       json: ["text": "hello from the API"])
            #expect(chat.status == 200)
            #expect(try chat.json["delivered"] as? Int == 2)
            #expect(try client.call("POST", "/v1/recordings/\(alphaID)/chat", template: "/v1/recordings/{id}/chat",
                                    json: ["text": "two\nlines"]).status == 400)

            // Two recordings are the budget: a third is refused with the reason.
            let refused = try client.call("POST", "/v1/recordings", json: ["room_url": alphaURL])
            #expect(refused.status == 503)
            #expect(((try refused.json["error"] as? [String: Any])?["message"] as? String ?? "").contains("2 recordings running"))
            #expect(try client.call("GET", "/readyz").status == 503)

            // The figures, read by Prometheus' own parser.
            let metrics = try client.call("GET", "/metrics")
            let parsed = try PrometheusText.parse(metrics.text)
            #expect(parsed["engagebot_recordings_active"] == 2, "\(parsed)")
            #expect((parsed["engagebot_participants_active"] ?? 0) >= 3, "\(parsed)")
            #expect(parsed["engagebot_recordings_failed_total"] == 1, "\(parsed)")
            #expect(parsed["engagebot_recordings_refused_total"] == 1, "\(parsed)")
            #expect((parsed["engagebot_packets_received_total"] ?? 0) > 500, "\(parsed)")
            // Exported even while zero: loopback loses nothing, and synthetic senders start on a keyframe, so
            // a keyframe request happens only when a first frame goes missing.
            #expect(parsed["engagebot_packets_repaired_total"] != nil, "\(parsed)")
            #expect(parsed["engagebot_keyframe_requests_total"] != nil, "\(parsed)")
            #expect(parsed["engagebot_admission_open"] == 0, "\(parsed)")

            let list = try client.call("GET", "/v1/recordings")
            #expect((try list.json["recordings"] as? [[String: Any]])?.count == 3)

            // DELETE alpha: the bot leaves, every file is finalized, the report comes back.
            let stopped = try client.call("DELETE", "/v1/recordings/\(alphaID)", template: "/v1/recordings/{id}")
            #expect(stopped.status == 200)
            let alphaView = try stopped.json
            #expect(alphaView["state"] as? String == "finished", "\(alphaView)")
            let alphaFiles = alphaView["files"] as? [[String: Any]] ?? []
            #expect(alphaFiles.count == 2 && alphaFiles.allSatisfy { $0["state"] as? String == "finalized" }, "\(alphaFiles)")
            let alphaFolder = URL(fileURLWithPath: try #require(alphaView["session_path"] as? String))
            try expectFinalizedAndClean(alphaFolder, names: alphaFiles.compactMap { $0["name"] as? String })
            let transcript = try String(contentsOf: alphaFolder.appendingPathComponent("chat.txt"), encoding: .utf8)
            #expect(transcript.contains("recorder-a: hello from the API"), "\(transcript)")
            #expect(FileManager.default.fileExists(atPath: alphaFolder.appendingPathComponent("manifest.json").path))
            #expect(try client.call("POST", "/v1/recordings/\(alphaID)/chat", template: "/v1/recordings/{id}/chat",
                                    json: ["text": "too late"]).status == 409)

            // SIGTERM while beta records: drained within the grace period, beta's files finalized.
            let betaFolder = URL(fileURLWithPath: try #require(try poll(client, betaID, timeout: 5) { _ in true }["session_path"] as? String))
            let signalled = Date()
            kill(service.process.processIdentifier, SIGTERM)
            while service.process.isRunning, Date().timeIntervalSince(signalled) < 30 { Thread.sleep(forTimeInterval: 0.05) }
            #expect(!service.process.isRunning, "the service did not exit within 30 s of SIGTERM")
            // The service was started with --grace 20: draining never takes longer.
            let drained = Date().timeIntervalSince(signalled)
            #expect(drained < 20, "SIGTERM took \(drained) s, longer than the grace period")
            #expect(service.process.terminationStatus == 0, "service: \(service.log.suffix(3000))")
            #expect(service.log.contains("drained: every recording finished"), "\(service.log.suffix(3000))")
            let betaNames = try FileManager.default.contentsOfDirectory(atPath: betaFolder.path).filter { $0.hasSuffix(".webm") }
            #expect(betaNames.contains("synthetic-1.webm"), "beta holds \(betaNames)")
            try expectFinalizedAndClean(betaFolder, names: betaNames)
            for crash in ["Fatal error", "Backtrac", "Segmentation", "Illegal instruction"] {
                #expect(!service.log.contains(crash), "\(service.log.suffix(3000))")
            }

            // Webhooks: every delivery signed, each once, in the order things happened, the story of each recording.
            let deliveries = try WebhookReceiver.deliveries(in: hooks)
            #expect(deliveries.allSatisfy { $0["valid"] as? Bool == true }, "unsigned or badly signed: \(deliveries)")
            let ids = deliveries.compactMap { $0["delivery"] as? String }
            #expect(Set(ids).count == deliveries.count, "a delivery came twice")
            let bodies = deliveries.compactMap { $0["body"] as? [String: Any] }
            let sequences = bodies.compactMap { ($0["sequence"] as? NSNumber)?.uint64Value }
            #expect(sequences == sequences.sorted() && sequences.count == bodies.count, "out of order: \(sequences)")
            func story(_ id: String) -> [String] {
                bodies.filter { ($0["recording"] as? [String: Any])?["id"] as? String == id }.compactMap { $0["type"] as? String }
            }
            #expect(story(lostID) == ["recording.failed"], "\(story(lostID))")
            let alphaStory = story(alphaID)
            #expect(alphaStory.first == "recording.started" && alphaStory.last == "recording.finished", "\(alphaStory)")
            #expect(alphaStory.filter { $0 == "participant.joined" }.count == 2, "\(alphaStory)")
            #expect(alphaStory.filter { $0 == "participant.left" }.count == 2, "\(alphaStory)")
            #expect(alphaStory.filter { $0 == "file.finalized" }.count == 2, "\(alphaStory)")
            let betaStory = story(betaID)
            #expect(betaStory.first == "recording.started" && betaStory.last == "recording.finished", "\(betaStory)")
            #expect(betaStory.contains("file.finalized"), "\(betaStory)")
            let alphaMetadata = bodies.first { ($0["recording"] as? [String: Any])?["id"] as? String == alphaID }
                .flatMap { ($0["recording"] as? [String: Any])?["metadata"] as? [String: String] }
            #expect(alphaMetadata == ["meeting": "weekly"])

            // --on-finalized ran once for every finished file: each recording's files, transcripts and manifest.
            let finished = try String(contentsOf: finishedList, encoding: .utf8).split(separator: "\n").map(String.init)
            for name in alphaFiles.compactMap({ $0["name"] as? String }) + ["chat.txt", "chat.jsonl", "manifest.json"] {
                let path = alphaFolder.appendingPathComponent(name).path
                #expect(finished.filter { $0.hasSuffix(" \(alphaID) \(path)") }.count == 1, "\(name) in \(finished)")
            }
            #expect(finished.contains("recording \(betaID) \(betaFolder.appendingPathComponent("synthetic-1.webm").path)"), "\(finished)")

            // Every documented operation was tried, and every answer kept to the contract.
            #expect(client.violations.isEmpty, "\(client.violations)")
            let tried = Set(client.exercised.map { $0.split(separator: " ").prefix(2).joined(separator: " ") })
            for operation in client.contract.operations {
                #expect(tried.contains(operation), "\(operation) was never tried")
            }
        }

        /// A webhook the receiver cannot take is kept on disk and delivered after the service restarts.
        @Test func webhooksPendingWhileTheReceiverIsDownAreDeliveredAfterARestart() throws {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("engage-service-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: output) }
            let hooks = output.appendingPathComponent("webhooks.jsonl")
            // Learn a free port from a receiver, then stop it: the service starts with its receiver down.
            let probe = try WebhookReceiver(log: hooks)
            let port = probe.port
            probe.stop()
            let arguments = ["service", "--port", "0", "--output", output.path, "--grace", "2",
                             "--webhook-url", "http://127.0.0.1:\(port)/hooks", "--webhook-secret", WebhookReceiver.secret]
            let first = try RunningBot(arguments)
            defer { first.stop() }
            let firstPort = try #require(Int(try first.await(#"service listening on http://127\.0\.0\.1:(\d+)"#, timeout: 20)))
            let client = ServiceClient(port: firstPort, contract: try OpenAPIContract())
            let lost = try client.call("POST", "/v1/recordings", json: ["room_url": "ws://127.0.0.1:9/nowhere"])
            let lostID = try #require(try lost.json["id"] as? String)
            _ = try first.await("(webhooks: recording.failed to http://127.0.0.1:\\d+/hooks failed)", timeout: 40)
            kill(first.process.processIdentifier, SIGTERM)
            first.process.waitUntilExit()
            #expect(first.log.contains("left for the next start"), "\(first.log.suffix(2000))")
            #expect(!FileManager.default.fileExists(atPath: hooks.path), "nothing can have been received yet")

            let receiver = try WebhookReceiver(log: hooks, port: port)
            defer { receiver.stop() }
            let second = try RunningBot(arguments)
            defer { second.stop() }
            var delivered: [[String: Any]] = []
            let deadline = Date().addingTimeInterval(30)
            while delivered.isEmpty, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.2)
                delivered = (try? WebhookReceiver.deliveries(in: hooks)) ?? []
            }
            let body = try #require(delivered.first?["body"] as? [String: Any], "nothing delivered after the restart")
            #expect(delivered.first?["valid"] as? Bool == true)
            #expect(body["type"] as? String == "recording.failed")
            #expect((body["recording"] as? [String: Any])?["id"] as? String == lostID)
            #expect(delivered.count == 1, "\(delivered)")
        }

        /// Polls `GET /v1/recordings/{id}` until `condition` holds.
        private func poll(_ client: ServiceClient, _ id: String, timeout: TimeInterval,
                          until condition: ([String: Any]) -> Bool) throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(timeout)
            var last: [String: Any] = [:]
            while Date() < deadline {
                last = try client.call("GET", "/v1/recordings/\(id)", template: "/v1/recordings/{id}").json
                if condition(last) { return last }
                Thread.sleep(forTimeInterval: 0.25)
            }
            throw TestFailure("recording \(id) did not get there within \(timeout) s: \(last)")
        }

        /// Each file is finalized (a second finalization finds nothing to do) and decodes clean, audio and video.
        private func expectFinalizedAndClean(_ folder: URL, names: [String]) throws {
            #expect(!names.isEmpty)
            for name in names {
                let file = folder.appendingPathComponent(name)
                let outcome = try RecordingRepair.repair(path: file.path)
                guard case .alreadyFinalized = outcome else {
                    Issue.record("\(name) was not finalized: \(outcome)")
                    continue
                }
                let probe = try MediaProbe.probe(file)
                #expect(probe.decodeErrors.isEmpty, "\(name): \(probe.decodeErrors)")
                #expect((probe.stream("video")?.seconds ?? 0) >= 3, "\(name): \(probe.streams)")
                #expect((probe.stream("audio")?.seconds ?? 0) >= 3, "\(name): \(probe.streams)")
            }
        }
    }
}

/// Prometheus text read by the Prometheus project's own Python parser (prometheus_client), so what we
/// serve is what a scraper reads: sample name → value (samples without labels).
enum PrometheusText {
    static func parse(_ text: String) throws -> [String: Double] {
        let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = {}
        for family in text_string_to_metric_families(sys.stdin.read()):
            for sample in family.samples:
                if not sample.labels:
                    out[sample.name] = sample.value
        print(json.dumps(out))
        """
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).txt")
        try Data(text.utf8).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let result = try Processes.run("/bin/sh", ["-c", "python3 -c \"$0\" < \"$1\"", script, input.path])
        guard result.status == 0,
              let values = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Double] else {
            throw TestFailure("prometheus_client could not parse /metrics (\(result.status)): \(result.standardError)\n\(text)")
        }
        return values
    }
}

/// Tests/Interop/webhook_receiver.py: records every delivery and checks its signature with Python's hmac.
final class WebhookReceiver {
    static let secret = "test-webhook-secret"
    let process: RunningBot
    let port: Int

    init(log: URL, port: Int = 0) throws {
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        process = try RunningBot([Processes.packageRoot.appendingPathComponent("Tests/Interop/webhook_receiver.py").path,
                                  "--secret", Self.secret, "--log", log.path, "--port", "\(port)"],
                                 executable: Processes.python3)
        self.port = try #require(Int(try process.await(#"listening on (\d+)"#, timeout: 15)))
    }

    func stop() { process.stop() }

    static func deliveries(in log: URL) throws -> [[String: Any]] {
        let text = try String(contentsOf: log, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            guard let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON line: \(line)")
            }
            return entry
        }
    }
}
