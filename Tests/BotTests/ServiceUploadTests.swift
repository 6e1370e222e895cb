import Foundation
import Testing
@testable import MeetingKit

/// Uploads to an S3-compatible server process (moto's standalone server, over HTTP on loopback): every finished
/// file of a recording (each WebM, the transcripts, the manifest) reaches the bucket byte for byte, large ones in
/// parts; a file whose upload could not happen before the service stopped goes up after the restart; each upload
/// is a signed `file.uploaded` webhook and the API shows the file as `uploaded`. The service takes its settings
/// from a configuration file (`--config`), the S3 credentials included: the whole story a web app sees, from
/// `POST` to the files in its bucket and the webhooks in the order things happened.
extension InteropTests {
    @Suite(.serialized) struct ServiceUploadTests {
        static let bucket = "engage"
        static let prefix = "meetings/"

        @Test func everyFinishedFileReachesTheBucketAndAPendingUploadSurvivesARestart() throws {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("engage-upload-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: output) }
            let room = try RunningBot(["serve", "--port", "0"])
            defer { room.stop() }
            let roomPort = try room.await(#"url=http://127\.0\.0\.1:(\d+)/"#, timeout: 15)
            let hooks = output.appendingPathComponent("webhooks.jsonl")
            let receiver = try WebhookReceiver(log: hooks)
            defer { receiver.stop() }
            let storagePort = try Self.freePort()
            let settings: [String: Any] = [
                "output": output.path, "grace": 3, "port": 8080,
                "webhook_url": "http://127.0.0.1:\(receiver.port)/hooks", "webhook_secret": WebhookReceiver.secret,
                "s3_endpoint": "http://127.0.0.1:\(storagePort)", "s3_bucket": Self.bucket, "s3_prefix": Self.prefix,
                "s3_part_mib": 0.125, "s3_access_key_id": "testing-key", "s3_secret_access_key": "testing-secret",
            ]
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            let configFile = output.appendingPathComponent("service.json")
            try JSONSerialization.data(withJSONObject: settings).write(to: configFile)
            // The command line's port wins over the file's.
            let arguments = ["service", "--config", configFile.path, "--port", "0"]
            let credentials: [String: String] = [:]

            // First run: the storage is down. The recording finishes; its uploads wait, and outlive a SIGTERM.
            let first = try RunningBot(arguments, environment: credentials)
            defer { first.stop() }
            let firstClient = ServiceClient(port: try #require(Int(try first.await(#"service listening on http://127\.0\.0\.1:(\d+)"#, timeout: 20))),
                                            contract: try OpenAPIContract())
            let early = try record(firstClient, room: "ws://127.0.0.1:\(roomPort)/early")
            #expect(early.files.allSatisfy { $0.state == "finalized" }, "\(early.files)")
            _ = try first.await(#"(uploading .* failed)"#, timeout: 20)
            kill(first.process.processIdentifier, SIGTERM)
            first.process.waitUntilExit()
            #expect(first.log.contains("uploads: ") && first.log.contains("left for the next start"), "\(first.log.suffix(2000))")

            // The storage comes up; the restarted service uploads what was pending, then a new recording as it ends.
            let storage = try RunningBot(["-m", "moto.server", "-H", "127.0.0.1", "-p", "\(storagePort)"], executable: Processes.python3,
                                         environment: ["S3_UPLOAD_PART_MIN_SIZE": "65536"])
            defer { storage.stop() }
            try Self.createBucket(port: storagePort)
            let second = try RunningBot(arguments, environment: credentials)
            defer { second.stop() }
            let secondClient = ServiceClient(port: try #require(Int(try second.await(#"service listening on http://127\.0\.0\.1:(\d+)"#, timeout: 20))),
                                             contract: try OpenAPIContract())
            let late = try record(secondClient, room: "ws://127.0.0.1:\(roomPort)/late")
            let deadline = Date().addingTimeInterval(60)
            var lateFiles = late.files
            while !lateFiles.allSatisfy({ $0.state == "uploaded" }), Date() < deadline {
                Thread.sleep(forTimeInterval: 0.25)
                lateFiles = try Self.files(of: try secondClient.call("GET", "/v1/recordings/\(late.id)", template: "/v1/recordings/{id}").json)
            }
            #expect(lateFiles.allSatisfy { $0.state == "uploaded" }, "\(lateFiles)")

            // Both recordings' files are in the bucket, byte for byte: recordings, transcripts, manifest.
            var expected: [String] = []
            for recording in [early, late] {
                for name in recording.files.map(\.name) + ["chat.jsonl", "chat.txt", "manifest.json"] {
                    expected.append(recording.folder.appendingPathComponent(name).path)
                }
            }
            var keys: Set<String> = []
            let uploadDeadline = Date().addingTimeInterval(60)
            while keys.count < expected.count, Date() < uploadDeadline {
                Thread.sleep(forTimeInterval: 0.5)
                keys = try Self.listKeys(port: storagePort)
            }
            for path in expected {
                let key = Self.prefix + String(path.dropFirst(output.standardizedFileURL.path.count + 1))
                #expect(keys.contains(key), "\(key) not among \(keys.sorted())")
                if keys.contains(key) {
                    #expect(try Self.object(key, port: storagePort) == (try Data(contentsOf: URL(fileURLWithPath: path))),
                            "\(key) differs from the local file")
                }
            }
            // The WebM files are larger than a part (128 KiB): they went up in parts.
            #expect(second.log.contains("request(s))"), "\(second.log.suffix(2000))")
            let multipart = try NSRegularExpression(pattern: #"uploaded .*\.webm .* \((\d+) bytes, ([3-9]|\d\d+) request\(s\)\)"#)
            #expect(multipart.firstMatch(in: second.log, range: NSRange(second.log.startIndex..., in: second.log)) != nil,
                    "no WebM went up in parts: \(second.log.suffix(2000))")

            // What went up is what was recorded: the late recording's files, fetched back from the bucket, decode.
            for file in late.files {
                let key = Self.prefix + String(late.folder.appendingPathComponent(file.name).path.dropFirst(output.standardizedFileURL.path.count + 1))
                let copy = output.appendingPathComponent("from-bucket-\(file.name)")
                try Self.object(key, port: storagePort).write(to: copy)
                let probe = try MediaProbe.probe(copy)
                #expect(probe.decodeErrors.isEmpty, "\(key): \(probe.decodeErrors)")
                #expect((probe.stream("video")?.seconds ?? 0) >= 3 && (probe.stream("audio")?.seconds ?? 0) >= 3, "\(key): \(probe.streams)")
            }

            // One signed file.uploaded webhook per file, naming where it went.
            kill(second.process.processIdentifier, SIGTERM)
            second.process.waitUntilExit()
            let deliveries = try WebhookReceiver.deliveries(in: hooks)
            #expect(deliveries.allSatisfy { $0["valid"] as? Bool == true })
            let bodies = deliveries.compactMap { $0["body"] as? [String: Any] }
            let sequences = bodies.compactMap { ($0["sequence"] as? NSNumber)?.uint64Value }
            #expect(sequences.count == bodies.count && sequences == sequences.sorted(), "out of order: \(sequences)")
            #expect(Set(deliveries.compactMap { $0["delivery"] as? String }).count == deliveries.count, "a delivery came twice")
            // The late recording's story, in the order it happened: started, both participants joined, each file
            // finalized before it went up, the transcripts and the manifest after the recording finished.
            let story = bodies.filter { ($0["recording"] as? [String: Any])?["id"] as? String == late.id }
            let types = story.compactMap { $0["type"] as? String }
            #expect(types.first == "recording.started", "\(types)")
            #expect(types.filter { $0 == "participant.joined" }.count == 2 && types.filter { $0 == "participant.left" }.count == 2, "\(types)")
            let position = { (type: String, name: String?) in
                story.firstIndex { $0["type"] as? String == type && (name == nil || ($0["file"] as? [String: Any])?["name"] as? String == name) }
            }
            for name in late.files.map(\.name) {
                let finalized = try #require(position("file.finalized", name), "no file.finalized for \(name): \(types)")
                let uploadedAt = try #require(position("file.uploaded", name), "no file.uploaded for \(name): \(types)")
                #expect(finalized < uploadedAt && (position("participant.joined", nil) ?? .max) < finalized, "\(name): \(types)")
            }
            let finishedAt = try #require(position("recording.finished", nil), "\(types)")
            for name in ["chat.jsonl", "chat.txt", "manifest.json"] {
                #expect((position("file.uploaded", name) ?? -1) > finishedAt, "\(name): \(types)")
            }
            let uploaded = bodies.filter { $0["type"] as? String == "file.uploaded" }
            let locations = Set(uploaded.compactMap { ($0["file"] as? [String: Any])?["location"] as? String })
            #expect(uploaded.count == expected.count && locations.count == expected.count, "\(uploaded.count) of \(expected.count): \(locations)")
            #expect(locations.allSatisfy { $0.hasPrefix("s3://\(Self.bucket)/\(Self.prefix)") }, "\(locations)")
            #expect(secondClient.violations.isEmpty && firstClient.violations.isEmpty,
                    "\(firstClient.violations) \(secondClient.violations)")
        }

        struct RecordedFile {
            var name: String
            var state: String
        }

        /// Records `room` with two synthetic participants for a few seconds, then DELETEs the recording.
        private func record(_ client: ServiceClient, room: String) throws -> (id: String, folder: URL, files: [RecordedFile]) {
            let created = try client.call("POST", "/v1/recordings", json: ["room_url": room, "bot_name": "recorder"])
            let id = try #require(try created.json["id"] as? String, "\(created.text)")
            let crowd = try RunningBot(["crowd", room, "--participants", "2", "--seconds", "60", "--no-chat"])
            defer { crowd.stop() }
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let view = try client.call("GET", "/v1/recordings/\(id)", template: "/v1/recordings/{id}").json
                let flowing = (view["files"] as? [[String: Any]] ?? []).filter { ($0["packets_received"] as? Int ?? 0) > 300 }
                if flowing.count == 2 { break }
                Thread.sleep(forTimeInterval: 0.25)
            }
            // The API names both participants while they are in the room.
            let present = try client.call("GET", "/v1/recordings/\(id)", template: "/v1/recordings/{id}").json["participants"] as? [String]
            #expect(Set(present ?? []) == ["synthetic-1", "synthetic-2"], "\(String(describing: present))")
            Thread.sleep(forTimeInterval: 4)
            let stopped = try client.call("DELETE", "/v1/recordings/\(id)", template: "/v1/recordings/{id}").json
            let folder = URL(fileURLWithPath: try #require(stopped["session_path"] as? String))
            let files = try Self.files(of: stopped)
            #expect(files.count == 2, "\(stopped)")
            return (id, folder, files)
        }

        static func files(of view: [String: Any]) throws -> [RecordedFile] {
            (view["files"] as? [[String: Any]] ?? []).compactMap { file in
                guard let name = file["name"] as? String, let state = file["state"] as? String else { return nil }
                return RecordedFile(name: name, state: state)
            }
        }

        static func freePort() throws -> Int {
            let result = try Processes.run(Processes.python3.path, ["-c",
                "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
            guard let port = Int(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw TestFailure("no free port: \(result.standardError)")
            }
            return port
        }

        /// The test's own view of the bucket, through boto3 (botocore signs its requests independently of ours).
        static func boto(_ code: String, port: Int, _ arguments: [String] = []) throws -> ProcessResult {
            let script = """
            import sys, boto3
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                              aws_access_key_id="testing-key", aws_secret_access_key="testing-secret")
            \(code)
            """
            return try Processes.run(Processes.python3.path, ["-c", script, "http://127.0.0.1:\(port)"] + arguments)
        }

        static func createBucket(port: Int) throws {
            let deadline = Date().addingTimeInterval(30)
            var last = ""
            while Date() < deadline {
                let result = try boto("s3.create_bucket(Bucket=sys.argv[2])", port: port, [bucket])
                if result.status == 0 { return }
                last = result.standardError
                Thread.sleep(forTimeInterval: 0.3)
            }
            throw TestFailure("the S3 server on \(port) did not create the bucket: \(last.suffix(1000))")
        }

        static func listKeys(port: Int) throws -> Set<String> {
            let result = try boto("""
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2]):
                for item in page.get("Contents", []):
                    print(item["Key"])
            """, port: port, [bucket])
            guard result.status == 0 else { throw TestFailure("listing the bucket: \(result.standardError.suffix(1000))") }
            return Set(result.standardOutput.split(separator: "\n").map(String.init))
        }

        static func object(_ key: String, port: Int) throws -> Data {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("object-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try boto("s3.download_file(sys.argv[2], sys.argv[3], sys.argv[4])", port: port, [bucket, key, file.path])
            guard result.status == 0 else { throw TestFailure("GET \(key): \(result.standardError.suffix(1000))") }
            return try Data(contentsOf: file)
        }
    }
}
