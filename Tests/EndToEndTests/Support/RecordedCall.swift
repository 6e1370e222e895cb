import Foundation
import Mesh
import Recorder
import Tile

/// The project's own sender (a `PeerConnection` with a live VP8 + Opus test pattern) calling a recording
/// `PeerConnection` + `ParticipantRecorder` through a `NetworkEmulator`, all on virtual time in one thread.
struct RecordedCall {
    struct Result {
        var webm: [UInt8]
        var videoFramesSent = 0
        var audioFramesSent = 0
        var keyframesRequested = 0
        var sender: PeerConnectionStatistics
        var recorder: PeerConnectionStatistics
        var tracks: [ParticipantRecorder.TrackStatistics]
        var datagramsSent: Int
        var datagramsDropped: Int
    }

    static let senderAddress = TransportAddress(host: "127.0.0.1", port: 41_000)!
    static let recorderAddress = TransportAddress(host: "127.0.0.1", port: 41_001)!

    let sender: PeerConnection
    let recorder: PeerConnection
    var network: NetworkEmulator
    var tileConfiguration = SyntheticTileConfiguration(name: "sender", width: 320, height: 240, fps: 30,
                                                        videoBitrateKbps: 500)
    /// How often the recorder is advanced without a packet, as the bot's ticker does.
    var tick: Duration = .milliseconds(10)
    private var now = Timestamp.seconds(1)

    /// - Parameter senderOffers: the sender makes the offer (as the bot does to a newcomer); otherwise the
    ///   recorder offers and the sender answers, so RTX is negotiated the other way round.
    init(conditions: NetworkConditions, seed: UInt64, senderOffers: Bool = true) throws {
        var senderConfiguration = PeerConnectionConfiguration(
            certificate: try DTLSCertificate(), localAddress: Self.senderAddress, cname: "sender", sendsMedia: true)
        var recorderConfiguration = PeerConnectionConfiguration(
            certificate: try DTLSCertificate(), localAddress: Self.recorderAddress, cname: "recorder")
        // Seeded SSRCs keep the RTCP schedules from run to run. Figures still move a little: libvpx's
        // real-time mode picks its speed from the wall-clock time each frame takes, so frame sizes vary.
        senderConfiguration.identifierSeed = seed &* 2
        recorderConfiguration.identifierSeed = seed &* 2 &+ 1
        if senderOffers {
            sender = PeerConnection(offeringWith: senderConfiguration, at: now)
            recorder = try PeerConnection(answering: sender.localDescription, configuration: recorderConfiguration, at: now)
            try sender.applyAnswer(recorder.localDescription, at: now)
        } else {
            recorder = PeerConnection(offeringWith: recorderConfiguration, at: now)
            sender = try PeerConnection(answering: recorder.localDescription, configuration: senderConfiguration, at: now)
            try recorder.applyAnswer(sender.localDescription, at: now)
        }
        network = NetworkEmulator(conditions: conditions, videoPayloadTypes: Self.videoPayloadTypes(recorder.localDescription),
                                  seed: seed)
    }

    /// Sends for `duration` once connected, lets the network drain for `drain`, then closes the file.
    mutating func run(sending duration: Duration, drain: Duration = .seconds(2), connectWithin: Duration = .seconds(10)) throws -> Result {
        var tile: SyntheticTile?
        var recording = ParticipantRecorder(writingApp: "EndToEndTests")
        var webm: [UInt8] = []
        var videoSent = 0, audioSent = 0, keyframeRequests = 0
        var stopSendingAt: Timestamp?
        var nextTick = now
        let giveUpAt = now + connectWithin

        func apply(_ outputs: [ParticipantRecorder.Output]) {
            for output in outputs {
                switch output {
                case .write(let bytes): webm += bytes
                case .finalize(let finalization): webm = finalization.applied(to: webm)
                case .requestKeyframe(let ssrc): recorder.requestKeyframe(ssrc: ssrc, at: now)
                case .requestFullIntra(let ssrc): recorder.requestFullIntra(ssrc: ssrc, at: now)
                }
            }
        }

        while true {
            if let stop = stopSendingAt, now >= stop + drain { break }
            if stopSendingAt == nil && now >= giveUpAt { throw MediaTools.Failure(description: "no connection within \(connectWithin)") }
            for datagram in network.deliveries(upTo: now) {
                let peer = datagram.to == Self.recorderAddress ? recorder : sender
                peer.handleDatagram(datagram.bytes, from: datagram.from, at: now)
            }
            if let deadline = sender.nextDeadline, deadline.at <= now { sender.handleTimeout(at: now) }
            if let deadline = recorder.nextDeadline, deadline.at <= now { recorder.handleTimeout(at: now) }
            if tile == nil && sender.isSendingMedia {
                tile = try SyntheticTile(configuration: tileConfiguration, start: now)
                stopSendingAt = now + duration
            }
            if let tile, let stop = stopSendingAt, now < stop {
                while let media = tile.poll(at: now) {
                    switch media {
                    case .video(let frame, let rtp):
                        sender.sendFrame(frame.data, kind: .video, rtpTimestamp: rtp, at: now)
                        videoSent += 1
                    case .audio(let packet, let rtp):
                        sender.sendFrame(packet, kind: .audio, rtpTimestamp: rtp, at: now)
                        audioSent += 1
                    }
                }
            }
            if now >= nextTick {
                apply(recording.advance(to: now))
                nextTick = now + tick
            }
            // Events can make more output (a keyframe request from the recorder), so drain until both are quiet.
            var moved = true
            while moved {
                moved = false
                drain: while true {
                    switch sender.pollOutput() {
                    case .transmit(let bytes, let to):
                        network.send(bytes, from: Self.senderAddress, to: to, at: now)
                        moved = true
                    case .event(.keyframeRequested):
                        keyframeRequests += 1
                        tile?.requestKeyframe()
                    case .event:
                        break
                    case .timeout:
                        break drain
                    }
                }
                drain: while true {
                    switch recorder.pollOutput() {
                    case .transmit(let bytes, let to):
                        network.send(bytes, from: Self.recorderAddress, to: to, at: now)
                        moved = true
                    case .event(.rtp(let packet, let track, let at)):
                        apply(recording.push(packet, track: track, at: at))
                    case .event(.connected(_, let kinds)):
                        recording.expect(kinds)
                    case .event(.roundTripMeasured(let roundTrip)):
                        recording.updateRoundTrip(roundTrip)
                    case .event:
                        break
                    case .timeout:
                        break drain
                    }
                }
            }
            var candidates = [network.nextDelivery, sender.nextDeadline?.at, recorder.nextDeadline?.at, nextTick]
            if let tile, let stop = stopSendingAt, now < stop { candidates.append(tile.nextDeadline.at) }
            let next = candidates.compactMap { $0 }.min() ?? now + tick
            now = max(next, now + .microseconds(100))
        }
        apply(recording.finish(at: now))
        return Result(webm: webm, videoFramesSent: videoSent, audioFramesSent: audioSent, keyframesRequested: keyframeRequests,
                      sender: sender.statistics, recorder: recorder.statistics, tracks: recording.trackStatistics,
                      datagramsSent: network.sent, datagramsDropped: network.dropped)
    }

    /// Payload types of the video m-line (media and RTX) in a description.
    static func videoPayloadTypes(_ sdp: String) -> Set<UInt8> {
        var types: Set<UInt8> = []
        for line in sdp.split(whereSeparator: \.isNewline) where line.hasPrefix("m=video ") {
            for field in line.split(separator: " ").dropFirst(3) { if let type = UInt8(field) { types.insert(type) } }
        }
        return types
    }
}
