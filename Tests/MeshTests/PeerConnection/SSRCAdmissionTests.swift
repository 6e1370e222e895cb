import Testing

@testable import Mesh

/// A connected peer that sends RTP on SSRCs of its own invention gets no state for them.
@Suite struct SSRCAdmissionTests {
    /// The VP8 payload type our offer proposes.
    private func vp8PayloadType(in sdp: String) throws -> UInt8 {
        let line = try #require(sdp.components(separatedBy: "\r\n").first { $0.hasPrefix("a=rtpmap:") && $0.hasSuffix(" VP8/90000") })
        return try #require(UInt8(line.dropFirst("a=rtpmap:".count).prefix { $0.isNumber }))
    }

    /// Sends one VP8-typed packet on each of `ssrcs` from the offerer, protected with its own SRTP keys.
    private func flood(_ pair: inout PeerPair, ssrcs: some Sequence<UInt32>, payloadType: UInt8,
                       sequenceNumber: UInt16 = 1) throws {
        let session = try #require(pair.offerer.srtpOutbound)
        for ssrc in ssrcs {
            var bytes = RTPPacket(payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: 0, ssrc: ssrc,
                                  marker: true, payload: [0x10, 0, 0x9d, 0x01, 0x2a][...]).serialized()
            try session.protectRTP(&bytes)
            pair.answerer.handleDatagram(bytes, from: pair.offererAddress, at: pair.now)
        }
    }

    private func startedSSRCs(_ events: [PeerEvent]) -> Set<UInt32> {
        Set(events.compactMap { if case .trackStarted(let track) = $0 { track.ssrc } else { nil } })
    }

    private func rtpSSRCs(_ events: [PeerEvent]) -> Set<UInt32> {
        Set(events.compactMap { if case .rtp(let packet, _, _) = $0 { packet.ssrc } else { nil } })
    }

    @Test func aFloodOfUnannouncedSSRCsFromAPeerThatAnnouncedItsOwnIsRefused() throws {
        var pair = try PeerPair(offererSendsMedia: true)
        pair.run(for: .seconds(5)) { $0.offererEvents.connected && $0.answererEvents.connected }
        #expect(pair.answererEvents.connected)
        let payloadType = try vp8PayloadType(in: pair.offerer.localDescription)
        try flood(&pair, ssrcs: 1...300, payloadType: payloadType)
        // Several receiver report intervals: the reports must not trap or outgrow a datagram.
        pair.run(for: .seconds(12))
        #expect(pair.answererEvents.failure == nil)
        #expect(startedSSRCs(pair.answererEvents).isDisjoint(with: 1...300))
        #expect(rtpSSRCs(pair.answererEvents).isDisjoint(with: 1...300))
        #expect(pair.answerer.statistics.unadmittedSourcePackets == 300)
        // Counted, and logged at the 1st, 10th and 100th refusal only.
        let logged = pair.answererEvents.filter { if case .dropped(let reason) = $0 { reason.contains("not admitted") } else { false } }
        #expect(logged.count == 3)
        #expect(pair.largestFromAnswerer <= 1200)
    }

    @Test func aPeerThatAnnouncesNoSSRCsGetsAFewPerMediaLineFirstComeFirstServed() throws {
        var pair = try PeerPair(offererSendsMedia: true) { offer in
            offer.components(separatedBy: "\r\n").filter { !$0.hasPrefix("a=ssrc") }.joined(separator: "\r\n")
        }
        pair.run(for: .seconds(5)) { $0.offererEvents.connected && $0.answererEvents.connected }
        #expect(pair.answererEvents.connected)
        let payloadType = try vp8PayloadType(in: pair.offerer.localDescription)
        try flood(&pair, ssrcs: 1...300, payloadType: payloadType)
        try flood(&pair, ssrcs: 1...300, payloadType: payloadType, sequenceNumber: 2)
        pair.run(for: .seconds(12))
        let admitted = Set(UInt32(1)...UInt32(SSRCAdmission.unannouncedPerMediaLine))
        #expect(startedSSRCs(pair.answererEvents) == admitted)
        #expect(rtpSSRCs(pair.answererEvents) == admitted)
        #expect(pair.answerer.statistics.unadmittedSourcePackets == 2 * (300 - admitted.count))
        #expect(pair.largestFromAnswerer <= 1200)
    }

    @Test func announcedSourcesAreAdmittedUpToTheConnectionsLimit() throws {
        // An offer that names 40 video SSRCs: all are announced, but a connection holds at most 32 sources.
        var pair = try PeerPair(offererSendsMedia: true) { offer in
            var lines = offer.components(separatedBy: "\r\n")
            guard let video = lines.firstIndex(where: { $0.hasPrefix("m=video") }) else { return offer }
            lines.insert(contentsOf: (1...40).map { "a=ssrc:\($0) cname:flood" }, at: video + 1)
            return lines.joined(separator: "\r\n")
        }
        pair.run(for: .seconds(5)) { $0.offererEvents.connected && $0.answererEvents.connected }
        #expect(pair.answererEvents.connected)
        let payloadType = try vp8PayloadType(in: pair.offerer.localDescription)
        try flood(&pair, ssrcs: 1...40, payloadType: payloadType)
        pair.run(for: .seconds(12))
        let admitted = Set(UInt32(1)...UInt32(SSRCAdmission.maximumSources))
        #expect(startedSSRCs(pair.answererEvents) == admitted)
        #expect(pair.answerer.statistics.unadmittedSourcePackets == 40 - admitted.count)
        #expect(pair.largestFromAnswerer <= 1200)
    }
}
