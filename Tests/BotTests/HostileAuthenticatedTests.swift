import Foundation
import Mesh
import Testing

/// A hostile participant that completed DTLS with the bot: Tests/Interop/hostile_peer.py garbles its own
/// RTP, RTCP and SCTP before SRTP/DTLS protect them, so all of it reaches the bot's parsers authenticated
/// (SSRC floods, malformed VP8 descriptors, empty and random payloads, sequence and timestamp jumps,
/// random, truncated and absurd RTCP, NACK/PLI/FIR/REMB floods, wild sender reports, SCTP message,
/// size, channel and chunk floods), with clean media between its attack phases. Carol, an aiortc peer,
/// is recorded beside it the whole time.
extension InteropTests {
    @Suite(.serialized) struct HostileAuthenticatedTests {
        @Test func anAuthenticatedAttackerNeitherStopsTheBotNorSpoilsAnyRecording() throws {
            let meeting = try HostileAuthenticatedMeeting.run()
            let log = meeting.botLog
            let report = try meeting.attackReport()

            // The attack ran whole, over a connection that stayed up, and sent what each class needs.
            #expect((report["errors"] as? [String])?.isEmpty == true, "hostile peer: \(report["errors"] ?? "?")")
            let phases = report["phases"] as? [[String: Any]] ?? []
            #expect(phases.count == 6, "phases run: \(phases)")
            let sent = report["counts"] as? [String: [String: Int]] ?? [:]
            let rtp = sent["rtp"] ?? [:], rtcp = sent["rtcp"] ?? [:], sctp = sent["sctp"] ?? [:]
            #expect(report["floodSSRCs"] as? Int ?? 0 >= 2000, "new SSRCs sent: \(report["floodSSRCs"] ?? "?")")
            for name in ["malformedVP8Descriptor", "emptyPayload", "paddingOnlyPayload", "randomPayload",
                         "sequenceJump", "timestampJump"] {
                #expect(rtp[name] ?? 0 >= 5, "RTP \(name) sent: \(rtp)")
            }
            for name in ["random", "truncated", "absurdCounts", "nack", "pli", "fir", "remb", "wildSenderReport"] {
                #expect(rtcp[name] ?? 0 >= 100, "RTCP \(name) sent: \(rtcp)")
            }
            #expect(sctp["binaryMessages"] ?? 0 >= 3000 && sctp["hugeBinaryMessages"] ?? 0 >= 3
                    && sctp["channelsOpened"] ?? 0 >= 400 && sctp["garbagePackets"] ?? 0 >= 500, "SCTP sent: \(sctp)")
            print("hostile peer sent: \(sent)")

            // The bot lived until our SIGINT and stopped cleanly.
            let bot = try #require(meeting.result["bot"] as? [String: Any], "no bot in result.json")
            #expect(bot["stopped_by"] as? String == "SIGINT", "bot: \(bot)")
            #expect([0, -Int(SIGINT)].contains(bot["exit_code"] as? Int ?? 999), "bot exit: \(bot)")
            #expect(bot["exited_before_end"] as? Bool == false, "the bot left before the end: \(bot)")
            for crash in ["Fatal error", "Backtrac", "Segmentation", "Illegal instruction", "precondition"] {
                #expect(!log.contains(crash), "bot log: \(log.suffix(3000))")
            }
            if let usage = log.split(separator: "\n").last(where: { $0.contains("peak RSS") }) { print("bot: \(usage)") }

            // The attacker's connection was never lost: the bot kept answering and reading it to the end. (This
            // and her video lasting used to fail now and then: her SSRC flood grew libsrtp's linearly searched
            // stream list until the bot fell behind (InboundSRTPSources), her flood's RTX pushed forged sequence
            // numbers into her video (MediaRouting), and our FIR, which aiortc ignores, replaced the PLI.)
            let malloryKey = try #require(meeting.connectionKey(of: "mallory"), "no connection to mallory: \(log.prefix(3000))")
            let malloryClosed = log.split(separator: "\n").filter { $0.contains("\(malloryKey): closed") || $0.contains("\(malloryKey): failed") }
            let lastedWhole = malloryClosed.isEmpty
            #expect(lastedWhole, "the connection to mallory ended during the meeting: \(malloryClosed)")

            // Carol's recording is intact: decodes clean, both tracks, the whole meeting.
            let carol = try MediaProbe.probe(try meeting.recording(named: "carol.webm"))
            #expect(carol.decodeErrors.isEmpty, "carol.webm: ffmpeg reported \(carol.decodeErrors)")
            #expect(carol.streams.count == 2, "carol.webm streams: \(carol.streams)")
            #expect((carol.stream("video")?.seconds ?? 0) >= Double(HostileAuthenticatedMeeting.seconds - 6), "carol: \(carol.streams)")
            #expect((carol.stream("audio")?.seconds ?? 0) >= Double(HostileAuthenticatedMeeting.seconds - 6), "carol: \(carol.streams)")

            // Mallory's own file holds only her announced streams, decodes clean, and keeps her clean media.
            let files = try meeting.meeting.recordings().map(\.lastPathComponent)
            #expect(Set(files) == ["carol.webm", "mallory.webm"], "files: \(files)")
            let mallory = try MediaProbe.probe(try meeting.recording(named: "mallory.webm"))
            // Decoder errors fail the test, timestamps ffmpeg finds out of order included: hostile RTP timestamps
            // and sender reports used to lay her audio frames over each other (ParticipantRecorder now moves
            // audio off audio already written, MisbehavingAudioClockTests).
            let complaints = mallory.decodeErrors.split(separator: "\n")
            #expect(complaints.isEmpty, "mallory.webm: ffmpeg reported \(complaints.prefix(20))")
            #expect(mallory.streams.map(\.kind).sorted() == ["audio", "video"], "mallory.webm streams: \(mallory.streams)")
            #expect(mallory.stream("video")?.codec == "vp8" && mallory.stream("audio")?.codec == "opus", "\(mallory.streams)")
            let attackEnd = phases.last?["end"] as? Double ?? 0
            for kind in ["video", "audio"] {
                let seconds = mallory.stream(kind)?.seconds ?? 0
                #expect(seconds > 3, "mallory's \(kind) lasts \(seconds) s")
                #expect(seconds >= attackEnd, "mallory's \(kind) lasts \(seconds) s, the attack alone \(attackEnd) s")
                // Jumps in the sender's clocks must not stretch the file beyond the time she was there. Carol
                // joined before her and stayed to the end, so her file is the longest any stay in this meeting
                // can make. (Hostile clocks once laid 50 s of sound into 42 s: a file's zero is now at most 1 s
                // before its first packet, and audio at most 1.5 s ahead of its arrival.)
                let carolSeconds = carol.stream(kind)?.seconds ?? 0
                #expect(seconds <= carolSeconds + 0.5, "mallory's \(kind) lasts \(seconds) s, carol's \(carolSeconds) s")
            }
            let manifest = try meeting.meeting.manifest()
            let connections = manifest["connections"] as? [[String: Any]] ?? []
            let malloryTracks = connections.first { $0["participant"] as? String == "mallory" }?["tracks"] as? [[String: Any]] ?? []
            #expect(malloryTracks.count == 2, "tracks recorded for mallory: \(malloryTracks)")

            // Each class of attack left a counted drop in the bot's log, of about the size sent.
            let counted: [(kind: String, prefix: String, atLeast: Int)] = [
                ("SSRC flood", "RTP on a source not admitted", 100),
                ("bogus RTCP", "malformed RTCP", 10),
                ("binary message flood", "binary data channel message ignored", 100),
                ("SCTP garbage and huge messages", "SCTP input dropped", 100),
                ("NACK flood", "NACK beyond our retransmission budget of \(RetransmissionBudget.perSecond) packets a second ignored", 10),
            ]
            var drops: [String: Int] = [:]
            for (kind, prefix, atLeast) in counted {
                let most = HostileAuthenticatedMeeting.largestCount(of: prefix, in: log)
                drops[kind] = most
                #expect(most >= atLeast, "counted drops for \(kind) ('\(prefix) (N … so far)'): \(most), expected at least \(atLeast)")
            }
            print("bot's counted drops: \(drops)")
            let finalized = log.split(separator: "\n").first { $0.contains("recording finalized") && $0.contains("mallory.webm") }
            #expect(finalized?.contains("malformed packets skipped") == true, "mallory's summary: \(finalized ?? "none")")
            print("mallory's recording: \(finalized ?? "none")")
        }
    }
}

/// One run of Tests/Interop/run_meeting.py: carol (aiortc) at 0, the bot at 1, mallory (hostile_peer.py) at 3.
struct HostileAuthenticatedMeeting {
    static let seconds = 45
    let meeting: InteropMeeting

    var result: [String: Any] { meeting.result }
    var botLog: String { meeting.botLog }

    static func run() throws -> HostileAuthenticatedMeeting {
        let hostile = Processes.packageRoot.appendingPathComponent("Tests/Interop/hostile_peer.py").path
        let meeting = try InteropMeeting.run([
            "--participant", "aiortc:carol@0", "--bot-at", "1", "--seconds", "\(seconds)",
            "--command", "mallory@3:python3 '\(hostile)' --ws {ws_url} --name mallory --bot-name recorder --seed 7 "
                + "--report {out_dir}/mallory.json",
        ])
        return HostileAuthenticatedMeeting(meeting: meeting)
    }

    func recording(named name: String) throws -> URL { try meeting.recording(named: name) }

    func attackReport() throws -> [String: Any] {
        let data = try Data(contentsOf: meeting.directory.appendingPathComponent("mallory.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// The largest N of the bot's "PREFIX (N … so far)" lines: how many drops of that kind it counted.
    static func largestCount(of prefix: String, in log: String) -> Int {
        var largest = 0
        for line in log.split(separator: "\n") {
            guard let range = line.range(of: prefix + " (") else { continue }
            let digits = line[range.upperBound...].prefix(while: \.isNumber)
            largest = max(largest, Int(digits) ?? 0)
        }
        return largest
    }

    /// `camera@<channel>` of the connection the bot logged for `peer`.
    func connectionKey(of peer: String) -> String? {
        for line in botLog.split(separator: "\n") {
            guard let range = line.range(of: " '\(peer)': sending ") else { continue }
            return line[..<range.lowerBound].split(separator: " ").last.map(String.init)
        }
        return nil
    }
}
