import Testing
@testable import Mesh

/// Two of our own connections, offerer and answerer, wired back to back on virtual time.
struct PeerPair {
    let offerer: PeerConnection
    let answerer: PeerConnection
    let offererAddress = TransportAddress(host: "127.0.0.1", port: 40_000)!
    let answererAddress = TransportAddress(host: "127.0.0.1", port: 40_001)!
    var now = Timestamp.seconds(1)
    var offererEvents: [PeerEvent] = []
    var answererEvents: [PeerEvent] = []
    /// The largest datagram each side sent.
    var largestFromOfferer = 0
    var largestFromAnswerer = 0

    init(offererSendsMedia: Bool = false, tamperOffer: (String) -> String = { $0 }) throws {
        let certificate = try DTLSCertificate()
        offerer = PeerConnection(offeringWith: .init(certificate: certificate, localAddress: offererAddress,
                                                     cname: "offerer", sendsMedia: offererSendsMedia), at: now)
        let answererCertificate = try DTLSCertificate()
        answerer = try PeerConnection(answering: tamperOffer(offerer.localDescription), configuration: .init(
            certificate: answererCertificate, localAddress: answererAddress, cname: "answerer"), at: now)
        try offerer.applyAnswer(answerer.localDescription, at: now)
    }

    /// Delivers everything both sides send, and fires their timers, until `until` is true or time runs out.
    mutating func run(for duration: Duration, until done: (PeerPair) -> Bool = { _ in false }) {
        let end = now + duration
        while now < end && !done(self) {
            var moved = false
            for (from, to, fromAddress) in [(offerer, answerer, offererAddress), (answerer, offerer, answererAddress)] {
                drain: while true {
                    switch from.pollOutput() {
                    case .transmit(let bytes, _):
                        if from === offerer {
                            largestFromOfferer = max(largestFromOfferer, bytes.count)
                        } else {
                            largestFromAnswerer = max(largestFromAnswerer, bytes.count)
                        }
                        to.handleDatagram(bytes, from: fromAddress, at: now)
                        moved = true
                    case .event(let event):
                        if from === offerer { offererEvents.append(event) } else { answererEvents.append(event) }
                    case .timeout:
                        break drain
                    }
                }
            }
            if !moved {
                let deadlines = [offerer.nextDeadline, answerer.nextDeadline].compactMap { $0?.at }
                now = max(now + .milliseconds(1), min(deadlines.min() ?? end, end))
                offerer.handleTimeout(at: now)
                answerer.handleTimeout(at: now)
            }
        }
    }
}

extension [PeerEvent] {
    var connected: Bool { contains { if case .connected = $0 { return true } else { return false } } }
    var failure: String? {
        for event in self { if case .failed(let reason) = event { return reason } }
        return nil
    }
}

@Suite struct PeerConnectionTests {
    @Test func ourOffererAndAnswererConnectWithGCM() throws {
        var pair = try PeerPair()
        pair.run(for: .seconds(5)) { $0.offererEvents.connected && $0.answererEvents.connected }
        #expect(pair.offererEvents.connected)
        #expect(pair.answererEvents.connected)
        let summary = pair.answererEvents.compactMap { event -> String? in
            if case .connected(let text, _) = event { return text } else { return nil }
        }.first ?? ""
        #expect(summary.contains("GCM"))
        // Receiver reports flow once SRTP is up, and nothing fails while they do.
        pair.run(for: .seconds(5))
        #expect(pair.offererEvents.failure == nil && pair.answererEvents.failure == nil)
    }

    /// A join lasts until media is keyed and the room's data channel is open: then its timers may be rounded.
    @Test func aConnectionIsJoiningUntilKeyedAndItsChannelIsOpen() throws {
        var pair = try PeerPair()
        #expect(pair.offerer.isJoining && pair.answerer.isJoining)
        pair.run(for: .seconds(5)) { $0.offererEvents.connected && $0.answererEvents.connected }
        #expect(pair.offererEvents.connected && pair.answererEvents.connected)
        // Keyed, but SCTP and the channel still to come.
        #expect(pair.offerer.isJoining || pair.answerer.isJoining)
        pair.run(for: .seconds(5)) { $0.offerer.isChatOpen && $0.answerer.isChatOpen }
        #expect(pair.offerer.isChatOpen && pair.answerer.isChatOpen)
        #expect(!pair.offerer.isJoining && !pair.answerer.isJoining)
        pair.offerer.close(at: pair.now)
        #expect(!pair.offerer.isJoining)
    }

    @Test func aWrongFingerprintInTheOfferFailsTheConnectionClearly() throws {
        var pair = try PeerPair { offer in
            // Flip the last hex digit of the fingerprint: the certificate no longer matches.
            var lines = offer.components(separatedBy: "\r\n")
            for index in lines.indices where lines[index].hasPrefix("a=fingerprint:") {
                let last = lines[index].removeLast()
                lines[index].append(last == "0" ? "1" : "0")
            }
            return lines.joined(separator: "\r\n")
        }
        pair.run(for: .seconds(10)) { $0.answererEvents.failure != nil }
        let reason = try #require(pair.answererEvents.failure)
        #expect(reason.contains("fingerprint"))
        #expect(!pair.answererEvents.connected)
    }

    @Test func ourOffersAndAnswersWriteCandidatesAsRFC8839Does() throws {
        let pair = try PeerPair()
        for description in [pair.offerer.localDescription, pair.answerer.localDescription] {
            let lines = description.components(separatedBy: "\r\n").filter { $0.hasPrefix("a=candidate:") }
            #expect(!lines.isEmpty)
            for line in lines {
                // candidate-attribute = "candidate" ":" foundation SP component-id SP transport ...
                let fields = line.dropFirst("a=candidate:".count).split(separator: " ")
                #expect(fields.count >= 8, "\(line)")
                #expect(fields.first?.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" } == true, "\(line)")
                #expect(fields.dropFirst().first == "1", "\(line)")
                #expect(fields.dropFirst(6).first == "typ", "\(line)")
            }
        }
    }

    @Test func malformedOffersAreRefusedWithAReason() throws {
        let certificate = try DTLSCertificate()
        let address = TransportAddress(host: "127.0.0.1", port: 1)!
        for offer in ["", "v=0", "garbage\r\nm=audio x", String(repeating: "a=x\r\n", count: 10_000)] {
            #expect(throws: (any Error).self) {
                _ = try PeerConnection(answering: offer, configuration: .init(
                    certificate: certificate, localAddress: address, cname: "x"), at: .zero)
            }
        }
    }

    @Test func garbageDatagramsAreDroppedNotFatal() throws {
        var pair = try PeerPair()
        pair.run(for: .seconds(5)) { $0.offererEvents.connected && $0.answererEvents.connected }
        for garbage: [UInt8] in [[], [0x80], [0x80, 96, 0, 1], [0x81, 201, 0, 7, 1, 2, 3], [22, 254, 253], [0, 1, 0, 0], [200]] {
            pair.answerer.handleDatagram(garbage, from: pair.offererAddress, at: pair.now)
        }
        pair.run(for: .seconds(3))
        #expect(pair.answererEvents.failure == nil)
        #expect(!pair.answererEvents.contains { if case .closed = $0 { return true } else { return false } })
    }
}

@Suite struct KeyframeRequestTests {
    /// The RTCP packets of every compound `from` sends next, read with the receiver's keys (which then
    /// refuses them as replays: the caller reads, the receiver is not fed).
    private static func nextCompounds(from sender: PeerConnection, readBy receiver: PeerConnection) throws -> [[RTCPPacket]] {
        let inbound = try #require(receiver.srtpInbound)
        var compounds: [[RTCPPacket]] = []
        while case .transmit(var bytes, _) = sender.pollOutput() {
            guard bytes.count > 1, (192...223).contains(bytes[1]) else { continue }
            try inbound.unprotectRTCP(&bytes)
            compounds.append(try RTCPCompound.parse(bytes))
        }
        return compounds
    }

    @Test func aFullIntraRequestAlsoCarriesAPictureLossIndicationForSendersThatKnowOnlyPLI() throws {
        var pair = try PeerPair(offererSendsMedia: true)
        pair.run(for: .seconds(5)) { $0.offererEvents.connected && $0.answererEvents.connected }
        #expect(pair.offererEvents.connected && pair.answererEvents.connected)
        let videoSSRC: UInt32 = 0x1234_5678
        pair.answerer.requestFullIntra(ssrc: videoSSRC, at: pair.now)
        let compounds = try Self.nextCompounds(from: pair.answerer, readBy: pair.offerer)
        let packets = compounds.flatMap { $0 }
        let pictureLoss = packets.contains { if case .pictureLossIndication(let request) = $0 { request.mediaSSRC == videoSSRC } else { false } }
        let fullIntra = packets.contains { if case .fullIntraRequest(let request) = $0 { request.entries.contains { $0.ssrc == videoSSRC } } else { false } }
        #expect(pictureLoss && fullIntra, "sent: \(packets)")
        #expect(pair.answerer.statistics.fullIntraRequestsSent == 1 && pair.answerer.statistics.keyframeRequestsSent == 1)
    }
}
