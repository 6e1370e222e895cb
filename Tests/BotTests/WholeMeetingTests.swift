@testable import Bot
@testable import MeetingKit
import Foundation
import Testing

/// The whole-meeting issue's proofs with real headless Chromium and aiortc peers: both mesh roles,
/// screen shares, chat both ways, the bot's tile, the control interface, leaving and rejoining.
extension InteropTests {
    @Suite(.serialized) struct WholeMeetingTests {
        /// One browser before the bot (already sharing a screen), two after it; chat from all; a control line.
        @Test func threeBrowsersAShareChatAndTheControlInterface() throws {
            let post = "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
                + "s.sendall(b'posted through the control socket\\n')"
            let meeting = try InteropMeeting.run([
                "--participant", "alice@0", "--share", "alice@1", "--participant", "bob@5", "--participant", "carol@7",
                "--chat", "alice@12:hello from alice", "--chat", "bob@14:hello from bob", "--chat", "carol@16:hello from carol",
                "--command", "control@20:python3 -c \"\(post)\" {out_dir}/control.sock",
                "--bot-at", "2", "--seconds", "36",
            ], botArguments: "--control-socket {out_dir}/control.sock")

            for name in ["alice.webm", "bob.webm", "carol.webm", "alice (screen).webm"] {
                let probe = try MediaProbe.probe(try meeting.recording(named: name))
                #expect(probe.decodeErrors.isEmpty, "\(name): ffmpeg reported \(probe.decodeErrors)")
                let video = try #require(probe.stream("video"), "\(name) has no video")
                if !name.contains("screen") {
                    let audio = try #require(probe.stream("audio"), "\(name) has no audio")
                    #expect(video.seconds >= 25 && audio.seconds >= 25, "\(name): video \(video.seconds) s, audio \(audio.seconds) s")
                } else {
                    #expect(video.width == 800 && video.height == 450, "the share is Chromium's fake display")
                }
            }

            let notice = "recorder: 🔴 This meeting is being recorded by recorder."
            for name in ["alice", "bob", "carol"] {
                let size = meeting.botTileSize(seenBy: name)
                #expect((size?.width ?? 0) > 0, "\(name) does not show the bot's tile playing: \(String(describing: size))")
                let received = meeting.chatReceived(by: name)
                #expect(received.contains(notice), "\(name) never saw the recording notice: \(received)")
                #expect(received.contains("recorder: posted through the control socket"), "\(name): \(received)")
            }

            // Every line a browser sent is in the transcript exactly once, with its sender.
            let transcript = try meeting.transcript()
            for name in ["alice", "bob", "carol"] {
                let lines = transcript.filter { $0["kind"] as? String == "chat" && $0["raw"] as? String == "\(name): hello from \(name)" }
                #expect(lines.count == 1, "\(name)'s line appears \(lines.count) times in chat.jsonl")
                #expect(lines.first?["sender"] as? String == name)
            }
            let connections = try meeting.manifest()["connections"] as? [[String: Any]] ?? []
            #expect(Set(connections.compactMap { $0["participant"] as? String }) == ["alice", "bob", "carol"])
            #expect(connections.filter { $0["kind"] as? String == "screen" }.count == 1)
        }

        /// A page closes mid-meeting: its file is finalized promptly and plays; the same name back gets a new file.
        @Test func aLeavingBrowserIsFinalizedAndARejoinGetsASecondFile() throws {
            let meeting = try InteropMeeting.run([
                "--participant", "bob@0", "--participant", "alice@0-12", "--participant", "alice~2@16",
                "--bot-at", "2", "--seconds", "26",
            ])
            for name in ["alice.webm", "alice-2.webm", "bob.webm"] {
                let file = try meeting.recording(named: name)
                let probe = try MediaProbe.probe(file)
                #expect(probe.decodeErrors.isEmpty, "\(name): ffmpeg reported \(probe.decodeErrors)")
                #expect((probe.stream("video")?.seconds ?? 0) >= 5, "\(name) is too short")
                // Finalized on close (alice left; the others when the bot stopped): a duration, nothing left to repair.
                let duration = try RecordingRepairTests.formatDuration(file)
                #expect(duration >= (probe.stream("video")?.seconds ?? .infinity), "\(name): \(duration) s")
                let repair = try RecordingRepair.repair(path: file.path)
                guard case .alreadyFinalized = repair else {
                    Issue.record("\(name) was not finalized on close: \(repair)")
                    continue
                }
            }
            // The first alice left at t = 12 s: her connection ended within 10 s of that.
            let harness = meeting.result["harness"] as? [String: Any] ?? [:]
            let start = try #require((harness["t0"] as? String).flatMap(Self.parseTime), "no t0")
            let connections = try meeting.manifest()["connections"] as? [[String: Any]] ?? []
            let first = try #require(connections.first { ($0["files"] as? [String]) == ["alice.webm"] })
            let ended = try #require((first["endedAt"] as? String).flatMap(Self.parseTime), "alice's first connection never ended")
            let delay = ended.timeIntervalSince(start) - 12
            #expect(delay < 10, "alice's departure took \(delay) s to notice (\(first["endReason"] ?? "?"))")
        }

        /// aiortc as the bot's offerer (there first) and as its answerer (joins later): recorded, chat both ways.
        @Test func aiortcPeersInBothRoles() throws {
            let meeting = try InteropMeeting.run([
                "--participant", "aiortc:carol@0", "--participant", "aiortc:dave@5",
                "--chat", "carol@10:hello from carol", "--chat", "dave@11:hello from dave",
                "--bot-at", "2", "--seconds", "18",
            ], botArguments: "--say 'hello from the bot'")
            for name in ["carol.webm", "dave.webm"] {
                let probe = try MediaProbe.probe(try meeting.recording(named: name))
                #expect(probe.decodeErrors.isEmpty, "\(name): ffmpeg reported \(probe.decodeErrors)")
                #expect((probe.stream("video")?.seconds ?? 0) >= 8 && (probe.stream("audio")?.seconds ?? 0) >= 8, "\(name) too short")
            }
            let transcript = try meeting.transcript()
            for name in ["carol", "dave"] {
                #expect(transcript.filter { $0["raw"] as? String == "\(name): hello from \(name)" }.count == 1)
                #expect(meeting.chatReceived(by: name).contains("recorder: 🔴 This meeting is being recorded by recorder."),
                        "\(name): \(meeting.chatReceived(by: name))")
            }
            #expect(meeting.chatReceived(by: "carol").contains("recorder: hello from the bot"))
        }

        /// Browsers that prefer VP9: recorded as VP9 where they send it, and still shown the bot's VP8 tile.
        @Test func browsersThatPreferVP9() throws {
            let meeting = try InteropMeeting.run([
                "--codec", "vp9", "--participant", "alice@0", "--participant", "bob@5", "--bot-at", "2", "--seconds", "14",
            ])
            let alice = try MediaProbe.probe(try meeting.recording(named: "alice.webm"))
            #expect(alice.decodeErrors.isEmpty, "ffmpeg reported \(alice.decodeErrors)")
            #expect(alice.stream("video")?.codec == "vp9", "alice offered VP9 first: \(alice.streams.map(\.codec))")
            let bob = try MediaProbe.probe(try meeting.recording(named: "bob.webm"))
            #expect(bob.decodeErrors.isEmpty && (bob.stream("video")?.seconds ?? 0) >= 5, "bob's video is missing")
            for name in ["alice", "bob"] {
                #expect((meeting.botTileSize(seenBy: name)?.width ?? 0) > 0, "\(name) does not see the bot's tile")
            }
        }

        /// Our receiver reports and congestion feedback let a browser send us what it sends other browsers.
        @Test func browsersSendTheRecorderTheirFullQuality() throws {
            let meeting = try InteropMeeting.run([
                "--camera-size", "640x480", "--camera-fps", "30",
                "--participant", "alice@0", "--participant", "bob@0", "--bot-at", "2", "--seconds", "24",
            ])
            for (sender, other) in [("alice", "bob"), ("bob", "alice")] {
                let toBot = try #require(meeting.stats(of: sender, towards: "recorder")?["outbound"] as? [String: [String: Any]])
                let toPeer = try #require(meeting.stats(of: sender, towards: other)?["outbound"] as? [String: [String: Any]])
                let botWidth = toBot["video"]?["frameWidth"] as? Int ?? 0
                let peerWidth = toPeer["video"]?["frameWidth"] as? Int ?? 0
                #expect(botWidth == peerWidth && botWidth == 640, "\(sender) sends \(botWidth) px to us, \(peerWidth) px to \(other)")
                let botTarget = toBot["video"]?["targetBitrate"] as? Double ?? 0
                let peerTarget = toPeer["video"]?["targetBitrate"] as? Double ?? 0
                print("\(sender) aims at \(Int(botTarget)) bit/s for us (\(botWidth) px), \(Int(peerTarget)) for \(other) (\(peerWidth) px)")
                // Congestion control moves with the machine's load; the resolution is what must not drop.
                #expect(botTarget >= 0.5 * peerTarget, "\(sender) aims at \(botTarget) bit/s for us, \(peerTarget) for \(other)")
            }
        }

        /// A bot killed outright (SIGKILL, no chance to finish) leaves a file that plays to within a second or so.
        @Test func aKilledBotLeavesAPlayableFile() throws {
            let meeting = try InteropMeeting.run(["--participant", "alice@0", "--bot-at", "2", "--seconds", "16"],
                                                 botPrefix: "timeout -s KILL 10")
            let probe = try MediaProbe.probe(try meeting.recording(named: "alice.webm"))
            #expect(probe.decodeErrors.isEmpty, "ffmpeg reported \(probe.decodeErrors)")
            // Alive for 10 s, of which the first few hundred ms set the connection up.
            #expect((probe.stream("video")?.seconds ?? 0) >= 8 && (probe.stream("audio")?.seconds ?? 0) >= 8,
                    "video \(probe.stream("video")?.seconds ?? 0) s, audio \(probe.stream("audio")?.seconds ?? 0) s")

            // Repair finalizes it without losing a frame: same packets, a duration, a clean decode.
            let file = try meeting.recording(named: "alice.webm")
            guard case .finalized = try RecordingRepair.repair(path: file.path) else {
                Issue.record("repair found nothing to do in a killed bot's file")
                return
            }
            let repaired = try MediaProbe.probe(file)
            #expect(repaired.decodeErrors.isEmpty, "ffmpeg reported \(repaired.decodeErrors)")
            #expect(repaired.streams.map(\.packets) == probe.streams.map(\.packets))
            let duration = try RecordingRepairTests.formatDuration(file)
            let live = probe.streams.map(\.seconds).max() ?? 0
            #expect(abs(duration - live) < 1, "repaired: \(duration) s, live: \(live) s")
        }

        static func parseTime(_ text: String) -> Date? {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.date(from: text)
        }
    }
}
