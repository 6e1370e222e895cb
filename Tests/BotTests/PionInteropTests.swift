import Foundation
import Testing

/// The bot and a second WebRTC stack written apart from Chromium, aiortc and the bot: Pion WebRTC v3 (Go,
/// Tools/pion), in a real room, in both mesh roles. Pion chats over the data channel `channel`, receives
/// the bot's recording notice, and sends VP8 and Opus that the bot must record in a file ffmpeg decodes
/// clean. Pion also holds every `a=candidate:` line of the bot's descriptions to RFC 8839.
extension InteropTests {
    @Suite(.serialized) struct PionInteropTests {
        /// Pion is there first: the bot's `new-peer` makes Pion the offerer, and Pion opens the data channel.
        @Test func pionThereFirstOffersToTheBot() throws {
            try PionMeeting.run(pionAt: 0, botAt: 3).check(pionRole: "offerer")
        }

        /// The bot is there first: Pion's `new-peer` makes the bot the offerer, and Pion acknowledges the
        /// channel the bot opens (Pion's DATA_CHANNEL_ACK is four bytes, the message type and padding).
        @Test func theBotThereFirstOffersToPion() throws {
            try PionMeeting.run(pionAt: 3, botAt: 0).check(pionRole: "answerer")
        }

        /// The meetings' candidate check is not vacuous: Pion's own parser takes `a=candidate:candidate:…` (the
        /// doubled prefix the bot once wrote) with "candidate:…" as the foundation; the peer's RFC 8839 check refuses it.
        @Test func pionsCandidateCheckRefusesADoubledPrefix() throws {
            let peer = try PionPeer.executable.get()
            let fixture = Processes.packageRoot.appendingPathComponent("Tests/MeshTests/Fixtures/chromium-156-offer.sdp")
            let offer = try String(contentsOf: fixture, encoding: .utf8)
            let lines = offer.components(separatedBy: "a=candidate:").count - 1
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engage-pion-sdp-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let doubled = directory.appendingPathComponent("doubled.sdp")
            try offer.replacingOccurrences(of: "a=candidate:", with: "a=candidate:candidate:").write(to: doubled, atomically: true, encoding: .utf8)

            let clean = try Processes.run(peer.path, ["--check-sdp", fixture.path])
            #expect(clean.status == 0, "\(clean.standardOutput) \(clean.standardError)")
            #expect(clean.standardOutput.contains("\"accepted\": \(lines)"), "\(lines) lines: \(clean.standardOutput)")
            let refused = try Processes.run(peer.path, ["--check-sdp", doubled.path])
            #expect(refused.status == 1, "\(refused.standardOutput)")
            #expect(refused.standardOutput.contains("\"accepted\": 0"), "\(refused.standardOutput)")
            #expect(refused.standardOutput.components(separatedBy: "is not 1 to 32 ice-chars").count - 1 == lines, "\(refused.standardOutput)")
        }
    }
}

/// One meeting of the bot (`recorder`) and the Pion peer (`pion`) in the reference room.
struct PionMeeting {
    static let seconds = 16.0
    static let chatText = "hello from pion"
    static let notice = "recorder: 🔴 This meeting is being recorded by recorder."

    let meeting: InteropMeeting
    let pion: [String: Any]
    /// Seconds from meeting start until both were in the room.
    let bothInAt: Double

    /// Pion and the bot join at the given seconds of the meeting's clock.
    static func run(pionAt: Double, botAt: Double) throws -> PionMeeting {
        let peer = try PionPeer.executable.get()
        let command = "pion@\(pionAt):\(peer.path) --ws {ws_url} --name pion --video {out_dir}/pion.ivf "
            + "--audio {out_dir}/pion.ogg --chat '\(chatText)' --result {out_dir}/pion.json"
        let meeting = try InteropMeeting.run(
            ["--command", command, "--bot-at", "\(botAt)", "--seconds", "\(seconds)"],
            subcommand: "join {ws_url} --name recorder --output {out_dir}",
            prepare: PionPeer.makeMedia)
        let resultFile = meeting.directory.appendingPathComponent("pion.json")
        let pionLog = (try? String(contentsOf: meeting.directory.appendingPathComponent("pion.stderr.log"), encoding: .utf8)) ?? ""
        guard let data = try? Data(contentsOf: resultFile),
              let pion = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("the Pion peer wrote no result; its log: \(pionLog.suffix(3000))")
        }
        return PionMeeting(meeting: meeting, pion: pion, bothInAt: max(pionAt, botAt))
    }

    func check(pionRole: String) throws {
        let botLog = meeting.botLog
        let pionLog = (try? String(contentsOf: meeting.directory.appendingPathComponent("pion.stderr.log"), encoding: .utf8)) ?? ""
        let context: Comment = "bot log: \(botLog.suffix(2500))\npion log: \(pionLog.suffix(2500))"
        #expect((pion["errors"] as? [String])?.isEmpty == true, "Pion's errors: \(pion["errors"] ?? "?")")

        // One connection, in the role the protocol gives Pion.
        let peers = pion["peers"] as? [[String: Any]] ?? []
        #expect(peers.count == 1, "Pion's connections: \(peers)")
        let toBot = try #require(peers.first { $0["name"] as? String == "recorder" }, "Pion has no connection to the bot: \(peers)")
        #expect(toBot["role"] as? String == pionRole, "Pion's connection to the bot: \(toBot)")
        // The bot's own tile reached Pion.
        let received = toBot["packetsReceived"] as? [String: Int] ?? [:]
        #expect(received["video", default: 0] > 0, "RTP Pion received from the bot: \(received)")

        // Every candidate line of the bot's description passed Pion's parsers and RFC 8839's grammar.
        let candidates = pion["remoteCandidates"] as? [String: Any] ?? [:]
        #expect(candidates["accepted"] as? Int ?? 0 >= 1, "candidate lines accepted: \(candidates)")
        #expect((candidates["refused"] as? [String])?.isEmpty == true, "candidate lines refused: \(candidates)")

        // Chat both ways: Pion's line is in the transcript once, with its sender; the bot's notice reached Pion.
        let transcript = try meeting.transcript()
        let lines = transcript.filter { $0["kind"] as? String == "chat" && $0["raw"] as? String == "pion: \(Self.chatText)" }
        #expect(lines.count == 1, "Pion's line appears \(lines.count) times in chat.jsonl: \(transcript)\n\(context)")
        #expect(lines.first?["sender"] as? String == "pion", "\(lines)")
        let chatLog = pion["chatLog"] as? [[String: Any]] ?? []
        let heard = chatLog.filter { $0["direction"] as? String == "in" }.compactMap { $0["text"] as? String }
        #expect(heard.contains(Self.notice), "Pion received: \(heard)\n\(context)")
        #expect(!botLog.contains("DATA_CHANNEL_ACK"), "\(context)")

        // Pion's recording: both tracks, decoded clean, about as long as both were in the room.
        let probe = try MediaProbe.probe(try meeting.recording(named: "pion.webm"))
        #expect(probe.decodeErrors.isEmpty, "pion.webm: ffmpeg reported \(probe.decodeErrors)")
        let video = try #require(probe.stream("video"), "pion.webm has no video: \(probe.streams)")
        let audio = try #require(probe.stream("audio"), "pion.webm has no audio: \(probe.streams)")
        #expect(video.codec == "vp8" && audio.codec == "opus", "\(probe.streams)")
        #expect(video.width == 320 && video.height == 240, "\(video)")
        let together = Self.seconds - bothInAt
        for stream in [video, audio] {
            #expect(stream.seconds >= together - 4 && stream.seconds <= together + 1,
                    "pion.webm \(stream.kind) lasts \(stream.seconds) s; both were in the room \(together) s")
        }
        // Recorded for the project's notes.
        print("Pion as \(pionRole): pion.webm video \(video.seconds) s (\(video.packets) frames), audio \(audio.seconds) s; "
              + "candidate lines accepted \(candidates["accepted"] ?? 0); Pion heard \(heard)")
    }
}

/// The Pion peer, built once per test run from Tools/pion with Debian's Go packages (scripts/setup.sh).
enum PionPeer {
    static let executable: Result<URL, TestFailure> = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engage-pion-\(UUID().uuidString.prefix(8))")
        let output = directory.appendingPathComponent("pion-peer")
        let script = Processes.packageRoot.appendingPathComponent("Tools/pion/build.sh").path
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let build = try Processes.run("/bin/bash", [script, output.path])
            guard build.status == 0, FileManager.default.isExecutableFile(atPath: output.path) else {
                return .failure(TestFailure("Tools/pion/build.sh failed (\(build.status)); run scripts/setup.sh: \(build.standardError.suffix(2000))"))
            }
            return .success(output)
        } catch {
            return .failure(TestFailure("Tools/pion/build.sh could not run: \(error)"))
        }
    }()

    /// 4 s of 320x240 15 fps VP8 (a keyframe each second) and of a 440 Hz Opus tone in 20 ms pages; the peer loops them.
    static func makeMedia(in directory: URL) throws {
        let video = try Processes.run("/usr/bin/ffmpeg", [
            "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", "4",
            "-c:v", "libvpx", "-g", "15", "-b:v", "300k", "-deadline", "realtime", "-cpu-used", "8",
            directory.appendingPathComponent("pion.ivf").path])
        let audio = try Processes.run("/usr/bin/ffmpeg", [
            "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "4", "-ac", "2",
            "-c:a", "libopus", "-b:a", "64k", "-frame_duration", "20", "-page_duration", "20000",
            directory.appendingPathComponent("pion.ogg").path])
        guard video.status == 0, audio.status == 0 else {
            throw TestFailure("ffmpeg could not make Pion's media: \(video.standardError) \(audio.standardError)")
        }
    }
}
