@testable import Bot
@testable import MeetingKit
import Foundation
import Mesh
import Testing

/// `check`'s pure parts: the tracker's verdicts from observations, and the three writers.
@Suite struct CheckReportTests {
    static let camera = ConnectionKey(remoteChannel: "specific.alice!1", kind: .camera)
    static let audioTrack = MediaTrack(kind: .audio, codec: .opus, ssrc: 11, payloadType: 111, clockRate: 48_000, mid: "0")
    static let videoTrack = MediaTrack(kind: .video, codec: .vp8, ssrc: 22, payloadType: 96, clockRate: 90_000, mid: "1")

    /// The first packet of a VP8 keyframe (RFC 7741 descriptor, then RFC 6386's frame tag, start code, sizes).
    static func vp8Keyframe(width: Int, height: Int, keyframe: Bool = true, start: Bool = true) -> RTPPacket {
        let descriptor: UInt8 = start ? 0x10 : 0x00
        let tag: UInt8 = keyframe ? 0x50 : 0x51
        let payload: [UInt8] = [descriptor, tag, 0x02, 0x00, 0x9D, 0x01, 0x2A,
                                UInt8(width & 0xFF), UInt8(width >> 8), UInt8(height & 0xFF), UInt8(height >> 8), 0, 0]
        return RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 22, payload: payload[...])
    }

    /// Everything a healthy camera connection reports, as the meeting would, `step` ms apart.
    static func healthy(_ tracker: inout CheckTracker, key: ConnectionKey = camera, peer: String = "alice",
                        role: MeetingObservation.Role = .answerer, from start: Int64 = 100) {
        var now = start
        func next() -> Int64 { now += 10; return now }
        tracker.observe(.descriptionSent(key, peer: peer, role: role), at: start)
        if role == .offerer { tracker.observe(.answerApplied(key), at: next()) }
        tracker.observe(.peerEvent(key, .iceStateChanged("checking")), at: next())
        tracker.observe(.peerEvent(key, .iceStateChanged("connected")), at: next())
        tracker.observe(.peerEvent(key, .connected("DTLS 1.2", receiving: [.audio, .video])), at: next())
        tracker.observe(.peerEvent(key, .trackStarted(audioTrack)), at: next())
        tracker.observe(.peerEvent(key, .rtp(vp8Keyframe(width: 320, height: 240, keyframe: false), videoTrack, .zero)), at: next())
        tracker.observe(.peerEvent(key, .rtp(vp8Keyframe(width: 320, height: 240), videoTrack, .zero)), at: next())
        tracker.observe(.peerEvent(key, .dataChannelOpened("channel")), at: next())
        tracker.observe(.peerEvent(key, .remoteReport(.audio, fractionLost: 0, roundTrip: .milliseconds(3))), at: next())
        tracker.observe(.peerEvent(key, .remoteReport(.video, fractionLost: 0, roundTrip: nil)), at: next())
    }

    static func step(_ participant: CheckReport.Participant?, _ stage: CheckStage) -> CheckReport.Step? {
        participant?.steps.first { $0.name == stage.rawValue }
    }

    @Test func keyframeHeadersGiveTheResolution() throws {
        let size = try #require(CheckTracker.keyframeSize(Self.vp8Keyframe(width: 640, height: 360), codec: .vp8))
        #expect(size.width == 640 && size.height == 360)
        #expect(CheckTracker.keyframeSize(Self.vp8Keyframe(width: 640, height: 360, keyframe: false), codec: .vp8) == nil)
        #expect(CheckTracker.keyframeSize(Self.vp8Keyframe(width: 640, height: 360, start: false), codec: .vp8) == nil)
        // A keyframe whose start code is damaged has no decodable header.
        var broken = Self.vp8Keyframe(width: 640, height: 360)
        broken.payload[broken.payload.startIndex + 4] = 0
        #expect(CheckTracker.keyframeSize(broken, codec: .vp8) == nil)
        #expect(CheckTracker.keyframeSize(RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: [0x10][...]),
                                          codec: .vp8) == nil)
        // VP9 (RFC 9628): B set, P clear; uncompressed header of a profile-0 keyframe, 1280x720.
        var bits: [Bool] = []
        func put(_ value: Int, _ count: Int) { for shift in stride(from: count - 1, through: 0, by: -1) { bits.append(value >> shift & 1 == 1) } }
        // frame marker, profile 0, show_existing_frame 0, frame_type 0 (key), show_frame 1, error_resilient 0
        put(2, 2); put(0, 1); put(0, 1); put(0, 1); put(0, 1); put(1, 1); put(0, 1)
        put(0x49, 8); put(0x83, 8); put(0x42, 8)
        put(0, 3); put(0, 1)  // color space, color range (profile 0: no subsampling bits)
        put(1279, 16); put(719, 16)
        while bits.count % 8 != 0 { bits.append(false) }
        let header = stride(from: 0, to: bits.count, by: 8).map { index in
            bits[index..<index + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
        let vp9 = RTPPacket(payloadType: 98, sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: ([0x08] + header)[...])
        let vp9Size = try #require(CheckTracker.keyframeSize(vp9, codec: .vp9))
        #expect(vp9Size.width == 1280 && vp9Size.height == 720)
    }

    @Test func aHealthyConnectionPassesEveryStageTimedFromItsStart() throws {
        var tracker = CheckTracker()
        Self.healthy(&tracker)
        #expect(tracker.participantsMet == 1)
        #expect(tracker.allSettled)
        let alice = try #require(tracker.participants(at: 1_000, timeout: 30_000).first)
        #expect(alice.name == "alice" && alice.role == "answerer" && alice.passed)
        #expect(alice.steps.map(\.name) == CheckStage.allCases.map(\.rawValue))
        #expect(Self.step(alice, .signalling)?.milliseconds == 0)
        #expect(Self.step(alice, .ice)?.milliseconds == 20)
        #expect(Self.step(alice, .video)?.detail.contains("VP8 keyframe 320x240") == true)
        #expect(Self.step(alice, .video)?.milliseconds == 60)
    }

    @Test func anOfferNeverAnsweredFailsSignallingAndEverythingAfterIt() throws {
        var tracker = CheckTracker()
        let key = ConnectionKey(remoteChannel: "specific.mute!2", kind: .camera)
        tracker.observe(.descriptionSent(key, peer: "mute", role: .offerer), at: 500)
        #expect(!tracker.allSettled)
        let mute = try #require(tracker.participants(at: 10_500, timeout: 12_000).first)
        #expect(!mute.passed)
        let signalling = try #require(Self.step(mute, .signalling))
        #expect(signalling.status == .failed)
        #expect(signalling.detail.contains("expected an offer/answer exchange"))
        #expect(signalling.detail.contains("no answer to the bot's offer came within 10.000 s"))
        #expect(Self.step(mute, .ice)?.detail.contains("not reached: signalling failed") == true)
        #expect(Self.step(mute, .video)?.detail.contains("not reached: signalling failed") == true)
    }

    @Test func aFingerprintMismatchFailsDTLSAfterICE() throws {
        var tracker = CheckTracker()
        let key = Self.camera
        tracker.observe(.descriptionSent(key, peer: "mallory", role: .answerer), at: 0)
        tracker.observe(.peerEvent(key, .iceStateChanged("connected")), at: 40)
        tracker.observe(.peerEvent(key, .failed("DTLS peer certificate fingerprint AA does not match BB from the SDP")), at: 90)
        #expect(tracker.allSettled, "an ended connection has nothing more to show")
        let mallory = try #require(tracker.participants(at: 3_000, timeout: 10_000).first)
        #expect(Self.step(mallory, .ice)?.status == .passed)
        let dtls = try #require(Self.step(mallory, .dtls))
        #expect(dtls.status == .failed && dtls.milliseconds == 90)
        #expect(dtls.detail.contains("certificate matches 'mallory''s SDP fingerprint"))
        #expect(dtls.detail.contains("does not match BB"))
        #expect(Self.step(mallory, .audio)?.detail.contains("not reached: dtls failed") == true)
    }

    @Test func aCameraWithoutVideoFailsTheVideoStage() throws {
        var tracker = CheckTracker()
        let key = Self.camera
        tracker.observe(.descriptionSent(key, peer: "carol", role: .offerer), at: 0)
        tracker.observe(.answerApplied(key), at: 30)
        tracker.observe(.peerEvent(key, .iceStateChanged("connected")), at: 40)
        tracker.observe(.peerEvent(key, .connected("DTLS 1.2", receiving: [.audio])), at: 50)
        tracker.observe(.peerEvent(key, .trackStarted(Self.audioTrack)), at: 60)
        tracker.observe(.peerEvent(key, .dataChannelOpened("channel")), at: 70)
        tracker.observe(.peerEvent(key, .remoteReport(.audio, fractionLost: 0, roundTrip: nil)), at: 80)
        tracker.observe(.peerEvent(key, .remoteReport(.video, fractionLost: 0, roundTrip: nil)), at: 90)
        #expect(!tracker.allSettled)
        let carol = try #require(tracker.participants(at: 5_000, timeout: 10_000).first)
        #expect(carol.steps.filter { $0.status == .failed }.map(\.name) == ["video"])
        #expect(Self.step(carol, .video)?.detail.contains("the negotiation lets 'carol' send no video") == true)
    }

    @Test func screenConnectionsSkipReportsAndDuplicateNamesStayApart() throws {
        var tracker = CheckTracker()
        Self.healthy(&tracker)
        let screen = ConnectionKey(remoteChannel: Self.camera.remoteChannel, kind: .screen)
        tracker.observe(.descriptionSent(screen, peer: "alice", role: .answerer), at: 2_000)
        tracker.observe(.peerEvent(screen, .iceStateChanged("connected")), at: 2_010)
        tracker.observe(.peerEvent(screen, .connected("DTLS", receiving: [.video])), at: 2_020)
        tracker.observe(.peerEvent(screen, .rtp(Self.vp8Keyframe(width: 1280, height: 720), Self.videoTrack, .zero)), at: 2_030)
        tracker.observe(.peerEvent(screen, .dataChannelOpened("channel")), at: 2_040)
        let other = ConnectionKey(remoteChannel: "specific.alice!9", kind: .camera)
        Self.healthy(&tracker, key: other, role: .offerer, from: 3_000)
        #expect(tracker.participantsMet == 2)
        #expect(tracker.allSettled)
        let participants = tracker.participants(at: 4_000, timeout: 10_000)
        #expect(participants.map(\.name) == ["alice", "alice (screen)", "alice #2"])
        #expect(participants.allSatisfy { $0.passed })
        let skipped = participants[1].steps.filter { $0.status == .skipped }.map(\.name)
        #expect(skipped == ["audio", "rtcp-audio", "rtcp-video"])
    }

    static func sampleReport() -> CheckReport {
        var tracker = CheckTracker()
        Self.healthy(&tracker, peer: "Zoë <&> \"quoted\" 'x'\n\u{1}bell")
        let key = ConnectionKey(remoteChannel: "specific.mute!2", kind: .camera)
        tracker.observe(.descriptionSent(key, peer: "mute", role: .offerer), at: 500)
        return CheckReport(
            mode: .mesh, url: "ws://127.0.0.1:8000/room?x=1&y=2", botName: "engage-check",
            startedAt: "2025-01-01T00:00:00.000Z", elapsedMilliseconds: 12_345, expected: 3,
            room: [
                .init(name: "websocket", status: .passed, milliseconds: 4, detail: "connected"),
                .init(name: "participants", status: .failed, milliseconds: 12_000,
                      detail: "expected at least 3 participant(s) within 12.000 s; 2 participant(s) met"),
            ],
            participants: tracker.participants(at: 12_000, timeout: 12_345))
    }

    @Test func exitStatusTellsTheRoomFromTheParticipants() {
        var report = Self.sampleReport()
        #expect(report.exitStatus == 4)
        report.room[0].status = .failed
        #expect(report.exitStatus == 3, "an unreachable room wins over everything else")
        report = CheckReport(mode: .roomOnly, url: "ws://x/", botName: "b", startedAt: "t", expected: 0,
                             room: [.init(name: "websocket", status: .passed, milliseconds: 1, detail: ""),
                                    .init(name: "echo", status: .failed, milliseconds: 2, detail: "")])
        #expect(report.exitStatus == 3)
        report.room[1].status = .passed
        #expect(report.exitStatus == 0 && report.passed)
    }

    @Test func junitValidatesAgainstTheSchemaAndSaysWhatFailed() throws {
        let xml = Self.sampleReport().junitXML()
        if let problems = try CheckJUnitSchema.violations(of: xml) {
            Issue.record("JUnit XML does not validate: \(problems)\n\(xml)")
        }
        #expect(xml.contains("<testsuite name=\"room\" tests=\"2\" failures=\"1\""))
        #expect(xml.contains("<testsuite name=\"mute\" tests=\"8\" failures=\"8\""))
        #expect(xml.contains("Zoë &lt;&amp;&gt; &quot;quoted&quot; &apos;x&apos;&#10;\u{FFFD}bell"))
        #expect(xml.contains("<failure message=\"expected an offer/answer exchange with &apos;mute&apos; through the room; no answer"))
        #expect(xml.contains("name=\"video\" time=\"0.060\""), "times in seconds from the connection's start")
        #expect(xml.contains("time=\"12.345\">"), "the whole run's time on <testsuites>")
        // The validator must catch a broken report, or the test above proves nothing.
        let broken = xml.replacingOccurrences(of: "<failure message=", with: "<failure note=")
        #expect(try CheckJUnitSchema.violations(of: broken) != nil)
    }

    @Test func jsonCarriesTheVerdictAndRoundTrips() throws {
        let report = Self.sampleReport()
        let data = try report.json()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["passed"] as? Bool == false)
        #expect(object["exitStatus"] as? Int == 4)
        #expect(object["expected"] as? Int == 3)
        let participants = try #require(object["participants"] as? [[String: Any]])
        #expect(participants.count == 2)
        let steps = try #require(participants.first?["steps"] as? [[String: Any]])
        #expect(steps.first?["name"] as? String == "signalling" && steps.first?["status"] as? String == "passed")
        #expect(try JSONDecoder().decode(CheckReport.self, from: data) == report)
    }

    @Test func theTableShowsEveryStageAndSpellsOutFailures() {
        let table = Self.sampleReport().table()
        #expect(table.contains("FAILED (exit 4)"))
        for stage in CheckStage.allCases { #expect(table.contains(stage.rawValue)) }
        #expect(table.contains("FAIL mute signalling: expected an offer/answer exchange"))
        #expect(table.contains("room participants: FAIL"))
        #expect(table.contains("FAIL 11500ms  FAIL 11500ms"), "columns fit their widest cell:\n\(table)")
        #expect(!table.split(separator: "\n").contains { $0.hasSuffix(" ") }, "no trailing blanks")
        #expect(!table.contains("\u{1}"), "free-text names must not put control characters on a terminal")
    }
}
