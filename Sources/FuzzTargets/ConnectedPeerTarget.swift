import Mesh
import Recorder

/// The bot's side of a call, answering as it answers a browser, with the recorder behind it: a real ICE,
/// DTLS, SRTP and SCTP handshake with a peer connection of ours, which then sends whatever the script says,
/// protected with the keys the two agreed, so every byte gets past authentication: forged RTP on the
/// announced streams and on others, RTCP and SCTP of any shape, unprotected datagrams, real frames, chat,
/// and time passing. Whatever the peer does, neither side and the recorder may trap.
///
/// A fresh call per input keeps every finding reproducible from its input alone, at a price: most of an
/// input's time goes to making the two connections (SDP offer and answer) and the DTLS handshake, and
/// under ASan it runs 100-200 inputs/s on this 2-core machine (docs/input-safety.md). A persistent connected
/// pair would run many times faster but would make a finding depend on every input before it; a connection
/// built in the connected state without a handshake would need a way into `PeerConnection` that production
/// code does not have.
enum ConnectedPeerTarget {
    static let target = FuzzTarget(name: "connected-peer", run: run, seeds: seeds)
    static let maximumSteps = 120
    static let peerAddress = TransportAddress(host: "127.0.0.1", port: 42_000)!
    static let botAddress = TransportAddress(host: "127.0.0.1", port: 42_001)!
    /// Made once: generating a key pair costs more than a whole input.
    static let certificates: (peer: DTLSCertificate, bot: DTLSCertificate)? = {
        guard let peer = try? DTLSCertificate(), let bot = try? DTLSCertificate() else { return nil }
        return (peer, bot)
    }()

    final class Call {
        let peer: PeerConnection
        let bot: PeerConnection
        var recorder = ParticipantRecorder(
            writingApp: "fuzz", timeline: MeetingTimeline(origin: .zero, unixNanosecondsAtOrigin: 1_700_000_000_000_000_000))
        var now = Timestamp.seconds(1)
        /// The peer's streams as the bot saw them start: (SSRC, payload type) to forge packets on.
        var streams: [(ssrc: UInt32, payloadType: UInt8)] = []
        /// Where each SSRC's sequence numbers and timestamps stand: forged packets go on from there, since
        /// SRTP protects no packet whose index lies behind its replay window.
        var sequences: [UInt32: UInt16] = [:]
        var timestamps: [UInt32: UInt32] = [:]
        /// The RTP clock of the peer's real frames.
        var frameTimestamp: UInt32 = 0

        init?(certificates: (peer: DTLSCertificate, bot: DTLSCertificate)) {
            var peerConfiguration = PeerConnectionConfiguration(
                certificate: certificates.peer, localAddress: ConnectedPeerTarget.peerAddress, cname: "peer", sendsMedia: true)
            var botConfiguration = PeerConnectionConfiguration(
                certificate: certificates.bot, localAddress: ConnectedPeerTarget.botAddress, cname: "bot", sendsMedia: true)
            peerConfiguration.identifierSeed = 1
            botConfiguration.identifierSeed = 2
            peer = PeerConnection(offeringWith: peerConfiguration, at: now)
            guard let bot = try? PeerConnection(answering: peer.localDescription, configuration: botConfiguration, at: now),
                (try? peer.applyAnswer(bot.localDescription, at: now)) != nil
            else { return nil }
            self.bot = bot
        }

        /// Delivers what each side sends until both are quiet, and feeds the bot's media to the recorder.
        func exchange() {
            for _ in 0..<16 {
                var moved = false
                drain: while true {
                    switch peer.pollOutput() {
                    case .transmit(let bytes, _):
                        bot.handleDatagram(bytes, from: ConnectedPeerTarget.peerAddress, at: now)
                        moved = true
                    case .event:
                        continue
                    case .timeout:
                        break drain
                    }
                }
                drain: while true {
                    switch bot.pollOutput() {
                    case .transmit(let bytes, _):
                        peer.handleDatagram(bytes, from: ConnectedPeerTarget.botAddress, at: now)
                        moved = true
                    case .event(let event):
                        record(event)
                    case .timeout:
                        break drain
                    }
                }
                if !moved { return }
            }
        }

        private func record(_ event: PeerEvent) {
            var outputs: [ParticipantRecorder.Output] = []
            switch event {
            case .connected(_, let kinds):
                recorder.expect(kinds)
            case .trackStarted(let track):
                if streams.count < 8 { streams.append((track.ssrc, track.payloadType)) }
            case .rtp(let packet, let track, let at):
                if sequences.count < 64 || sequences[packet.ssrc] != nil {
                    sequences[packet.ssrc] = packet.sequenceNumber
                    timestamps[packet.ssrc] = packet.timestamp
                }
                outputs = recorder.push(packet, track: track, at: at)
            case .senderReport(let ssrc, let ntpTime, let rtpTimestamp):
                recorder.senderReport(ssrc: ssrc, ntp: ntpTime, rtpTimestamp: rtpTimestamp)
            case .roundTripMeasured(let roundTrip):
                recorder.updateRoundTrip(roundTrip)
            default:
                break
            }
            apply(outputs)
        }

        func apply(_ outputs: [ParticipantRecorder.Output]) {
            for output in outputs {
                switch output {
                case .write, .finalize: break
                case .requestKeyframe(let ssrc): bot.requestKeyframe(ssrc: ssrc, at: now)
                case .requestFullIntra(let ssrc): bot.requestFullIntra(ssrc: ssrc, at: now)
                }
            }
        }

        /// Lets `duration` pass, firing each side's timers when due.
        func advance(by duration: Duration) {
            let end = now + duration
            while now < end {
                let next = [peer.nextDeadline?.at, bot.nextDeadline?.at].compactMap { $0 }.filter { $0 > now }.min()
                now = min(end, next ?? end)
                if let deadline = peer.nextDeadline, deadline.at <= now { peer.handleTimeout(at: now) }
                if let deadline = bot.nextDeadline, deadline.at <= now { bot.handleTimeout(at: now) }
                apply(recorder.advance(to: now))
                exchange()
            }
        }
    }

    static func run(_ bytes: [UInt8]) {
        guard let certificates else { fatalError("connected-peer: no DTLS certificates could be made") }
        guard let call = Call(certificates: certificates) else {
            fatalError("connected-peer: our own offer and answer did not fit together")
        }
        call.exchange()
        for _ in 0..<100 where !(call.peer.isSendingMedia && call.bot.isChatOpen && call.peer.isChatOpen) {
            call.advance(by: .milliseconds(20))
        }
        RoundTrip.require(call.peer.isSendingMedia && call.bot.isChatOpen, "connected-peer: the handshake did not complete")
        // One real frame of each kind, so the bot has seen the streams the forged packets ride on.
        call.peer.sendFrame([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a] + Array(repeating: 0, count: 40), kind: .video,
                            rtpTimestamp: 0, at: call.now)
        call.peer.sendFrame([0xfc, 0xff, 0xfe], kind: .audio, rtpTimestamp: 0, at: call.now)
        call.exchange()

        var input = FuzzInput(bytes)
        for _ in 0..<maximumSteps where !input.isAtEnd {
            let step = input.byte()
            switch step % 8 {
            case 0:
                // A packet on one of the announced streams (or an SSRC next to one), any payload.
                let stream = call.streams.isEmpty ? (ssrc: UInt32(0x1234), payloadType: UInt8(96))
                    : call.streams[Int(step >> 3) % call.streams.count]
                let ssrc = step & 0x80 != 0 ? stream.ssrc &+ UInt32(input.byte()) : stream.ssrc
                let sequence = call.sequences[ssrc, default: 0] &+ UInt16(bitPattern: Int16(Int8(bitPattern: input.byte())))
                let timestamp = call.timestamps[ssrc, default: 0] &+ UInt32(input.uint16()) &* 3
                let packet = RTPPacket(payloadType: step & 0x40 != 0 ? input.byte() & 0x7f : stream.payloadType,
                                       sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc,
                                       marker: step & 0x20 != 0, payload: input.shortBytes()[...])
                if call.sequences.count < 64 || call.sequences[ssrc] != nil {
                    call.sequences[ssrc] = sequence
                    call.timestamps[ssrc] = timestamp
                }
                call.peer.sendUnformedRTP(packet.serialized())
            case 1:
                // RTP bytes as they come, behind a version-2 first byte and an RTP payload type (not RTCP's range).
                var raw = input.bytes(12) + input.shortBytes()
                if raw.count >= 12 {
                    raw[0] = 0x80 | raw[0] & 0x3f
                    if (64...95).contains(raw[1] & 0x7f) { raw[1] &= 0x9f }
                    call.peer.sendUnformedRTP(raw)
                }
            case 2:
                // An RTCP compound of any shape, behind a version-2 first byte and an RTCP packet type.
                var raw = input.shortBytes()
                if raw.count >= 8 {
                    raw[0] = 0x80 | raw[0] & 0x3f
                    raw[1] = 192 &+ raw[1] % 32
                    call.peer.sendUnformedRTCP(raw)
                }
            case 3:
                // An SCTP packet our association did not make, with a correct checksum half the time.
                let raw = input.shortBytes()
                if step & 0x80 != 0, let packet = try? SCTPPacket.parse(raw, verifyChecksum: false) {
                    call.peer.sendUnformedSCTP(packet.serialize())
                } else {
                    call.peer.sendUnformedSCTP(raw)
                }
            case 4:
                // A datagram nobody protected: STUN, DTLS, RTP or nothing in particular by its first byte.
                var raw = input.shortBytes()
                if !raw.isEmpty {
                    let firstBytes: [UInt8] = [0x00, 0x01, 0x16, 0x17, 0x80, 0x90]
                    raw[0] = step & 0x80 != 0 ? firstBytes[Int(raw[0]) % firstBytes.count] : raw[0]
                    call.bot.handleDatagram(raw, from: step & 0x40 != 0 ? botAddress : peerAddress, at: call.now)
                }
            case 5:
                // A real frame of ours, any bytes: packetized as the peer packetizes.
                call.frameTimestamp &+= 3000
                call.peer.sendFrame(input.shortBytes(), kind: step & 0x80 != 0 ? .audio : .video,
                                    rtpTimestamp: call.frameTimestamp, at: call.now)
            case 6:
                let text = String(decoding: input.shortBytes(), as: UTF8.self)
                if step & 0x80 != 0 {
                    _ = call.bot.sendChat(text, at: call.now)
                } else {
                    _ = call.peer.sendChat(text, at: call.now)
                }
            default:
                call.advance(by: .milliseconds(Int64(input.byte()) * 10))
                continue
            }
            call.exchange()
        }
        call.advance(by: .milliseconds(500))
        call.apply(call.recorder.finish(at: call.now))
        call.bot.close(at: call.now)
        call.exchange()
    }

    static func seeds() -> [[UInt8]] {
        var seeds: [[UInt8]] = [[]]
        // Clean media on the first stream, a little time between.
        var media = FuzzScript()
        for index in 0..<20 {
            media.byte(0x00)
            media.byte(1)
            media.uint16(1000)
            media.shortBytes([0x10, 0x00, 0x00] + Array(repeating: UInt8(index), count: 30))
            media.byte(0x07)
            media.byte(3)
        }
        seeds.append(media.bytes)
        // Each kind of step once, with plausible bytes.
        var mixed = FuzzScript()
        mixed.byte(0x01)
        for byte: UInt8 in [0x80, 0x60, 0x00, 0x01, 0, 0, 0x10, 0, 0, 0, 0x12, 0x34] { mixed.byte(byte) }
        mixed.shortBytes([0x90, 0x80, 0x01, 0x10, 0x00])
        mixed.byte(0x02)
        mixed.shortBytes([0x81, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0x00, 0x05, 0x00, 0x00])
        mixed.byte(0x03)
        mixed.shortBytes([0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0x00, 0x00, 0x10] + Array(repeating: 0, count: 12))
        mixed.byte(0x84)
        mixed.shortBytes([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42] + Array(repeating: 0, count: 12))
        mixed.byte(0x05)
        mixed.shortBytes([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00])
        mixed.byte(0x06)
        mixed.shortBytes(Array("hello from the peer".utf8))
        mixed.byte(0x86)
        mixed.shortBytes(Array("hello from the bot".utf8))
        mixed.byte(0x07)
        mixed.byte(200)
        seeds.append(mixed.bytes)
        return seeds
    }
}
