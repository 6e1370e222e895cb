import Testing

@testable import Mesh

/// The tile is packetized once for every connection (`FramePacketizer`); each connection adds only its
/// own RTP header and SRTP. Two connections sent the same frame must each deliver it whole, under their
/// own SSRC, with the payloads a connection packetizing alone would have sent.
@Suite struct SharedFrameTests {
    private static let keyframe: [UInt8] = [0x10, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00]
        + (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    private func videoPackets(_ events: [PeerEvent]) -> [RTPPacket] {
        events.compactMap { event -> RTPPacket? in
            if case .rtp(let packet, let track, _) = event, track.kind == .video { return packet }
            return nil
        }
    }

    private func ssrcs(in sdp: String) -> Set<UInt32> {
        Set(sdp.components(separatedBy: "\r\n").filter { $0.hasPrefix("a=ssrc:") }
            .compactMap { UInt32($0.dropFirst("a=ssrc:".count).prefix { $0.isNumber }) })
    }

    @Test func oneFramePacketizedOnceReachesEveryConnectionUnderItsOwnHeader() throws {
        var pairs = [try PeerPair(offererSendsMedia: true), try PeerPair(offererSendsMedia: true)]
        for index in pairs.indices {
            pairs[index].run(for: .seconds(5)) { $0.offererEvents.connected && $0.answererEvents.connected }
            #expect(pairs[index].answererEvents.connected)
        }
        var shared = FramePacketizer()
        let frame = shared.packetize(Self.keyframe, kind: .video, rtpTimestamp: 90_000)
        #expect(frame.payloads.count == 3)
        var alone = VP8Packetizer()
        #expect(frame.payloads == alone.packetize(Self.keyframe[...]))

        for index in pairs.indices {
            pairs[index].offerer.send(frame, at: pairs[index].now)
            pairs[index].run(for: .milliseconds(50))
        }
        for pair in pairs {
            let received = videoPackets(pair.answererEvents)
            try #require(received.count == frame.payloads.count)
            #expect(received.map { Array($0.payload) } == frame.payloads)
            #expect(received.allSatisfy { $0.timestamp == 90_000 })
            #expect(received.map(\.marker) == [false, false, true])
            #expect(Set(received.map(\.ssrc)).count == 1)
            #expect(ssrcs(in: pair.offerer.localDescription).contains(received[0].ssrc))
            #expect(zip(received, received.dropFirst()).allSatisfy { $1.sequenceNumber == $0.sequenceNumber &+ 1 })
        }
        let senders = pairs.map { Set(videoPackets($0.answererEvents).map(\.ssrc)) }
        #expect(senders[0].isDisjoint(with: senders[1]))
    }
}
