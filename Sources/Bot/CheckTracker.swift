import MeetingKit
import Mesh
import Recorder

/// The stages `check` times on every connection, in the order they happen.
enum CheckStage: String, CaseIterable, Sendable {
    /// Offer/answer exchanged through the room with the right screen flags (the answer matched our offer).
    case signalling
    case ice
    /// The DTLS handshake finished and the peer's certificate matched its SDP fingerprint.
    case dtls
    /// SRTP audio packets decrypted.
    case audio
    /// SRTP video packets decrypted, including a keyframe whose header gives a resolution.
    case video
    /// The peer's RTCP receiver reports on the bot's own tile: it receives what we send.
    case rtcpAudio = "rtcp-audio"
    case rtcpVideo = "rtcp-video"
    case dataChannel = "data-channel"
}

/// Follows a meeting's observations and decides, per connection, which stages passed and when.
///
/// Sans-IO: observations come in with the time since the check began, so tests can drive it
/// without a room. Times in the report count from the connection's start, which is when the bot
/// sent its description (the bot gathers instantly: one host candidate).
struct CheckTracker: Sendable {
    struct Connection: Sendable {
        var key: ConnectionKey
        var peer: String?
        var role: MeetingObservation.Role?
        /// Milliseconds since the check began.
        var start: Int64
        var passed: [CheckStage: (at: Int64, detail: String)] = [:]
        /// What the negotiation lets the peer send us, known once DTLS is up.
        var receiving: Set<MediaTrack.Kind>?
        var videoPackets = 0
        var audioPackets = 0
        var videoCodec: MediaTrack.Codec?
        var lastICEState = "new"
        /// The connection ended (refused, failed, closed) before passing everything.
        var ended: (at: Int64, reason: String)?
    }

    /// Media every camera connection must deliver: ENGAGE's page always sends camera and microphone.
    var expectedCameraMedia: Set<MediaTrack.Kind> = [.audio, .video]
    private(set) var connections: [ConnectionKey: Connection] = [:]
    /// Keys in the order they were met, so reports list participants as they arrived.
    private(set) var order: [ConnectionKey] = []
    private(set) var lastNewConnection: Int64?

    /// Distinct participants met (one room channel each, whatever their connections).
    var participantsMet: Int { Set(order.map(\.remoteChannel)).count }

    mutating func observe(_ observation: MeetingObservation, at now: Int64) {
        switch observation {
        case .descriptionSent(let key, let peer, let role):
            var connection = begin(key, at: now)
            connection.peer = peer
            connection.role = role
            // As answerer, the offer came and our answer went: signalling is done on our side. As
            // offerer, it is done when their answer (with matching flags) is applied.
            if role == .answerer { connection.passed[.signalling] = (now, "offer received, answer sent") }
            connections[key] = connection
        case .answerApplied(let key):
            guard var connection = connections[key] else { return }
            connection.passed[.signalling] = (now, "offer sent, answer applied")
            connections[key] = connection
        case .connectionRefused(let key, let reason):
            var connection = begin(key, at: now)
            if connection.ended == nil { connection.ended = (now, reason) }
            connections[key] = connection
        case .joined, .recordingClosed:
            break
        case .peerEvent(let key, let event):
            guard var connection = connections[key] else { return }
            apply(event, to: &connection, at: now)
            connections[key] = connection
        }
    }

    private mutating func begin(_ key: ConnectionKey, at now: Int64) -> Connection {
        if let existing = connections[key], existing.ended == nil { return existing }
        // A key seen again after it ended is a new connection (the peer came back): start afresh.
        if connections[key] == nil { order.append(key) }
        lastNewConnection = now
        return Connection(key: key, start: now)
    }

    private func elapsed(_ connection: Connection, _ now: Int64) -> Int64 { max(now - connection.start, 0) }

    private func apply(_ event: PeerEvent, to connection: inout Connection, at now: Int64) {
        func pass(_ stage: CheckStage, _ detail: String) {
            if connection.passed[stage] == nil { connection.passed[stage] = (now, detail) }
        }
        switch event {
        case .iceStateChanged(let state):
            connection.lastICEState = state
            if state == "connected" || state == "completed" { pass(.ice, "ICE \(state)") }
        case .connected(let summary, let receiving):
            pass(.dtls, "fingerprint verified; \(summary)")
            connection.receiving = receiving
        case .trackStarted(let track):
            if track.kind == .audio { pass(.audio, "first \(track.codec.rawValue) packet (ssrc \(track.ssrc))") }
            if track.kind == .video { connection.videoCodec = track.codec }
        case .rtp(let packet, let track, _):
            switch track.kind {
            case .audio:
                connection.audioPackets += 1
                pass(.audio, "first \(track.codec.rawValue) packet (ssrc \(track.ssrc))")
            case .video:
                connection.videoPackets += 1
                connection.videoCodec = track.codec
                if connection.passed[.video] == nil, let size = CheckTracker.keyframeSize(packet, codec: track.codec) {
                    pass(.video, "\(track.codec.rawValue.uppercased()) keyframe \(size.width)x\(size.height) "
                        + "after \(connection.videoPackets) video packet(s)")
                }
            }
        case .remoteReport(let kind, let fractionLost, let roundTrip):
            let rtt = roundTrip.map { ", round trip \($0.milliseconds) ms" } ?? ""
            let loss = "fraction lost \(fractionLost)/256\(rtt)"
            pass(kind == .audio ? .rtcpAudio : .rtcpVideo, "receiver report on our \(kind.rawValue): \(loss)")
        case .dataChannelOpened(let label):
            pass(.dataChannel, "'\(label)' open")
        case .closed(let reason), .failed(let reason):
            if connection.ended == nil { connection.ended = (now, reason) }
        case .keyframeRequested, .chatMessage, .dropped, .senderReport, .roundTripMeasured:
            break
        }
    }

    /// The resolution in a VP8 or VP9 keyframe's header when this packet starts a keyframe, else nil.
    /// The Recorder's depacketizers read the payload descriptor and the codec's own header (VP8's
    /// start code and 14-bit sizes, VP9's uncompressed header or scalability structure).
    static func keyframeSize(_ packet: RTPPacket, codec: MediaTrack.Codec) -> (width: Int, height: Int)? {
        guard !packet.payload.isEmpty else { return nil }
        let fragment: PayloadFragment?
        switch codec {
        case .vp8: fragment = try? VP8Depacketizer().fragment(of: packet)
        case .vp9: fragment = try? VP9Depacketizer().fragment(of: packet)
        case .opus: fragment = nil
        }
        guard let fragment, fragment.isFrameStart, fragment.isKeyframe,
              let width = fragment.width, let height = fragment.height, width > 0, height > 0 else { return nil }
        return (width, height)
    }

    // MARK: - Verdicts

    /// The stages that apply to a connection: the bot sends its tile only on camera connections, so
    /// receiver reports are expected there only; a screen connection must carry video, audio only if
    /// the sharer negotiated some.
    func applicable(_ connection: Connection) -> [CheckStage: Bool] {
        var stages: [CheckStage: Bool] = [:]
        for stage in CheckStage.allCases { stages[stage] = true }
        if connection.key.kind == .screen {
            stages[.rtcpAudio] = false
            stages[.rtcpVideo] = false
            stages[.audio] = connection.receiving?.contains(.audio) ?? false
        } else {
            stages[.audio] = expectedCameraMedia.contains(.audio) || (connection.receiving?.contains(.audio) ?? false)
            stages[.video] = expectedCameraMedia.contains(.video) || (connection.receiving?.contains(.video) ?? false)
        }
        return stages
    }

    /// Whether nothing more is to be learnt from this connection: every applicable stage passed, or it ended.
    func isSettled(_ connection: Connection) -> Bool {
        if connection.ended != nil { return true }
        return applicable(connection).allSatisfy { stage, applies in !applies || connection.passed[stage] != nil }
    }

    var allSettled: Bool { connections.values.allSatisfy(isSettled) }

    /// The report's participants at `now` (the end of the check): whatever has not passed by now has failed.
    func participants(at now: Int64, timeout: Int64) -> [CheckReport.Participant] {
        var seenNames: [String: Int] = [:]
        return order.compactMap { key -> CheckReport.Participant? in
            guard let connection = connections[key] else { return nil }
            let peer = connection.peer ?? "channel \(key.remoteChannel)"
            var name = key.kind == .screen ? "\(peer) (screen)" : peer
            let count = (seenNames[name] ?? 0) + 1
            seenNames[name] = count
            if count > 1 { name += " #\(count)" }
            return CheckReport.Participant(
                name: name, peer: peer, channel: key.remoteChannel, connection: key.kind.rawValue,
                role: connection.role?.rawValue ?? "answerer", steps: steps(connection, at: now, timeout: timeout))
        }
    }

    private func steps(_ connection: Connection, at now: Int64, timeout: Int64) -> [CheckReport.Step] {
        let applies = applicable(connection)
        let who = connection.peer.map { "'\($0)'" } ?? "the peer"
        var firstFailure: String?
        return CheckStage.allCases.map { stage -> CheckReport.Step in
            if let passed = connection.passed[stage] {
                return .init(name: stage.rawValue, status: .passed, milliseconds: elapsed(connection, passed.at),
                             detail: passed.detail)
            }
            guard applies[stage] == true else {
                let why = stage == .audio
                    ? "\(who) negotiated no audio on its screen connection"
                    : "the bot sends no media on screen connections, so no receiver reports are expected"
                return .init(name: stage.rawValue, status: .skipped, milliseconds: nil, detail: why)
            }
            let expected = expectation(stage, who: who)
            var happened: String
            if let earlier = firstFailure {
                happened = "not reached: \(earlier)"
            } else if let ended = connection.ended {
                happened = "the connection ended after \(elapsed(connection, ended.at)) ms: \(ended.reason)"
            } else {
                happened = observedInstead(stage, connection, now: now, timeout: timeout)
            }
            if firstFailure == nil && [.signalling, .ice, .dtls].contains(stage) {
                firstFailure = "\(stage.rawValue) failed"
            }
            if stage == .audio || stage == .video, let receiving = connection.receiving,
               !receiving.contains(stage == .audio ? .audio : .video) {
                happened = "the negotiation lets \(who) send no \(stage.rawValue) (m-line absent, recvonly or inactive)"
            }
            let at = connection.ended.map { elapsed(connection, $0.at) } ?? elapsed(connection, now)
            return .init(name: stage.rawValue, status: .failed, milliseconds: at,
                         detail: "expected \(expected); \(happened)")
        }
    }

    private func expectation(_ stage: CheckStage, who: String) -> String {
        switch stage {
        case .signalling: "an offer/answer exchange with \(who) through the room"
        case .ice: "ICE connectivity with \(who)"
        case .dtls: "a DTLS handshake whose certificate matches \(who)'s SDP fingerprint"
        case .audio: "SRTP audio packets from \(who)"
        case .video: "SRTP video packets from \(who) with a VP8/VP9 keyframe header"
        case .rtcpAudio: "RTCP receiver reports from \(who) on the bot's audio"
        case .rtcpVideo: "RTCP receiver reports from \(who) on the bot's video"
        case .dataChannel: "the data channel 'channel' open with \(who)"
        }
    }

    private func observedInstead(_ stage: CheckStage, _ connection: Connection, now: Int64, timeout: Int64) -> String {
        let window = "within \(CheckReport.seconds(max(now - connection.start, 0))) s (check timeout \(CheckReport.seconds(timeout)) s)"
        switch stage {
        case .signalling:
            return connection.role == .offerer ? "no answer to the bot's offer came \(window)" : "no answer was sent \(window)"
        case .ice:
            return "ICE stayed '\(connection.lastICEState)' \(window)"
        case .dtls:
            return "no completed handshake \(window)"
        case .audio:
            return "no audio packet \(window)"
        case .video:
            if connection.videoPackets > 0 {
                let codec = connection.videoCodec.map { " (\($0.rawValue))" } ?? ""
                return "\(connection.videoPackets) video packet(s)\(codec) but no keyframe header \(window)"
            }
            return "no video packet \(window)"
        case .rtcpAudio, .rtcpVideo:
            return "no receiver report \(window)"
        case .dataChannel:
            return "the channel did not open \(window)"
        }
    }
}
