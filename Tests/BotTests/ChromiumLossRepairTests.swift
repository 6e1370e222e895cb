import Foundation
import Testing

/// Loss repair against a real WebRTC stack: headless Chromium sends a 640x480 30 fps camera to the bot while the
/// namespace drops a share of every UDP datagram on the way to the bot (and only to the bot: it listens on
/// 127.0.0.2, the browser on 127.0.0.1; run_meeting.py --udp-loss). NACKs and RTX must bring the lost packets
/// back, so that the file holds (nearly) every frame Chromium sent, and decodes clean.
extension InteropTests {
    @Suite(.serialized) struct ChromiumLossRepairTests {
        struct Outcome {
            var framesSent: Int
            var framesInFile: Int
            var share: Double { Double(framesInFile) / Double(max(framesSent, 1)) }
            var decodeErrors: String
            var repair: [String: Int]
            var datagramsToBot: Int
            var droppedShare: Double
            var chromiumNacksReceived: Int
            var chromiumRetransmittedPackets: Int
            var summary: String
        }

        /// Alice joins at 0 and closes her page at `leaveAt`: her getStats are read just before she leaves, and the
        /// bot's file of her ends when she is gone, so the frames she sent and the frames on file cover one span.
        static func record(loss: Double, botArguments: String = "", leaveAt: Int = 24) throws -> Outcome {
            let meeting = try InteropMeeting.run([
                "--participant", "alice@0-\(leaveAt)", "--camera-size", "640x480", "--camera-fps", "30",
                "--udp-loss", "127.0.0.2=\(loss)", "--bot-at", "2", "--seconds", "\(leaveAt + 3)",
            ], botArguments: "--interface 127.0.0.2 \(botArguments)")
            let file = try meeting.recording(named: "alice.webm")
            let probe = try MediaProbe.probe(file)
            let framesInFile = try MediaProbe.decodedVideoFrames(file)

            let stats = try #require(meeting.stats(of: "alice", towards: "recorder"), "alice has no connection to the bot")
            let outbound = try #require((stats["outbound"] as? [String: Any])?["video"] as? [String: Any],
                                        "alice's stats show no single outbound video stream: \(stats)")
            let framesSent = outbound["framesSent"] as? Int ?? 0
            let harness = meeting.result["harness"] as? [String: Any] ?? [:]
            let loss = harness["udpLoss"] as? [String: Any] ?? [:]

            let connections = try meeting.manifest()["connections"] as? [[String: Any]] ?? []
            let alice = try #require(connections.last { $0["participant"] as? String == "alice" && $0["kind"] as? String == "camera" },
                                     "no camera connection of alice in the manifest: \(connections)")
            let repair = try #require(alice["repair"] as? [String: Int], "the manifest has no repair counters for alice: \(alice)")
            let outcome = Outcome(
                framesSent: framesSent, framesInFile: framesInFile, decodeErrors: probe.decodeErrors, repair: repair,
                datagramsToBot: loss["datagrams"] as? Int ?? 0, droppedShare: loss["droppedShare"] as? Double ?? 0,
                chromiumNacksReceived: outbound["nackCount"] as? Int ?? 0,
                chromiumRetransmittedPackets: outbound["retransmittedPacketsSent"] as? Int ?? 0,
                summary: "")
            var described = outcome
            described.summary = """
                Chromium 640x480 30 fps, \(String(format: "%.0f", (loss["share"] as? Double ?? 0) * 100)) % dropped towards the bot \
                (measured \(String(format: "%.2f", outcome.droppedShare * 100)) % of \(outcome.datagramsToBot) datagrams): \
                frames sent \(framesSent) (\(outbound["frameWidth"] ?? "?")x\(outbound["frameHeight"] ?? "?"), \
                limited by \(outbound["qualityLimitationReason"] ?? "?")), in the file \(framesInFile) \
                (\(String(format: "%.1f", outcome.share * 100)) %); bot repair \(repair.sorted { $0.key < $1.key }); \
                Chromium NACKs received \(outcome.chromiumNacksReceived), PLIs received \(outbound["pliCount"] ?? "?"), \
                retransmitted packets \(outcome.chromiumRetransmittedPackets)
                """
            return described
        }

        @Test func fivePercentLossTowardsTheBotIsRepaired() throws {
            let outcome = try Self.record(loss: 0.05)
            // Recorded for the project's notes.
            print(outcome.summary)
            #expect(outcome.decodeErrors.isEmpty, "ffmpeg reported: \(outcome.decodeErrors)")
            #expect(outcome.droppedShare > 0.03 && outcome.droppedShare < 0.08, "the harness dropped \(outcome.droppedShare)")
            #expect(outcome.framesSent >= 300, "Chromium sent only \(outcome.framesSent) frames: \(outcome.summary)")
            #expect((outcome.repair["nacksSent"] ?? 0) > 0, "\(outcome.summary)")
            #expect((outcome.repair["packetsRecovered"] ?? 0) > 0, "\(outcome.summary)")
            #expect(outcome.chromiumNacksReceived > 0, "Chromium counted no NACK from the bot: \(outcome.summary)")
            // Measured (debug bot, 2 shared cores): 100.5 % at 5 % loss, 100.2 % at 10 %, 34.3 % at 5 % with
            // `--no-loss-repair`; 100.3 % without loss, since the page's stats are read a few frames before it closes.
            // 99 % is the issue's target, 1.3 points (8 frames) below the loss-free baseline.
            #expect(outcome.share >= 0.99, "\(outcome.summary)")
            #expect(outcome.share <= 1.02, "more frames in the file than Chromium sent: \(outcome.summary)")
        }
    }
}
