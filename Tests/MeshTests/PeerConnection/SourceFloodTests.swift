import Testing

@testable import Mesh

/// A connected peer that puts a new SSRC on every packet, authenticated, must leave no state behind per SSRC:
/// neither in the connection nor in libsrtp, whose per-source streams are found by a linear search.
@Suite struct SourceFloodTests {
    /// An RTX packet carries the original's sequence number (OSN) first: one far from the stream's.
    static let inventedOriginalSequence: UInt16 = 40_000

    private static func rtp(payloadType: UInt8, sequence: UInt16, ssrc: UInt32, isRetransmission: Bool = false) -> [UInt8] {
        let originalSequence = [UInt8(inventedOriginalSequence >> 8), UInt8(inventedOriginalSequence & 0xFF)]
        return TestRTP.vp8(payloadType: payloadType, sequence: sequence, ssrc: ssrc,
                           afterHeader: isRetransmission ? originalSequence : [])
    }

    /// A receiver report without report blocks, from `ssrc`.
    private static func rtcp(from ssrc: UInt32) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(UInt8(0x80))
        writer.write(UInt8(201))
        writer.write(UInt16(1))
        writer.write(ssrc)
        return writer.bytes
    }

    @Test func aPeerInventingAnSSRCPerPacketLeavesNoSRTPStateBehind() throws {
        var pair = try PeerPair(offererSendsMedia: true)
        pair.run(for: .seconds(5)) { $0.offererEvents.connected && $0.answererEvents.connected }
        #expect(pair.offererEvents.connected && pair.answererEvents.connected)
        let offer = pair.offerer.localDescription
        let videoPayloadType = try #require(offer.components(separatedBy: "\r\n")
            .first { $0.hasPrefix("a=rtpmap:") && $0.contains("VP8/90000") }
            .flatMap { UInt8($0.dropFirst("a=rtpmap:".count).prefix { $0.isNumber }) })
        let retransmissionPayloadType = try #require(offer.components(separatedBy: "\r\n")
            .first { $0.hasPrefix("a=fmtp:") && $0.hasSuffix(" apt=\(videoPayloadType)") }
            .flatMap { UInt8($0.dropFirst("a=fmtp:".count).prefix { $0.isNumber }) })
        let announced = Set(offer.components(separatedBy: "\r\n").filter { $0.hasPrefix("a=ssrc:") }
            .compactMap { UInt32($0.dropFirst("a=ssrc:".count).prefix { $0.isNumber }) })
        #expect(!announced.isEmpty)

        // Real media first, so the announced sources are admitted.
        var timestamp: UInt32 = 0
        for _ in 0..<10 {
            pair.offerer.sendFrame([0x10, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00] + Array(repeating: 7, count: 500),
                                   kind: .video, rtpTimestamp: timestamp, at: pair.now)
            pair.offerer.sendFrame([0xF8, 0xFF, 0xFE], kind: .audio, rtpTimestamp: timestamp, at: pair.now)
            timestamp &+= 3000
            pair.run(for: .milliseconds(30))
        }
        let session = try #require(pair.offerer.srtpOutbound)
        let inbound = try #require(pair.answerer.srtpInbound)
        let kept = announced.filter { inbound.holdsSource($0) }
        #expect(!kept.isEmpty, "no announced source has SRTP state: \(announced)")

        // The flood: 5,000 RTP packets, every other one RTX, and 500 RTCP packets, each from an SSRC never seen before.
        let flood = (0..<5_500).map { UInt32(0x5000_0000) &+ UInt32($0) * 7 }.filter { !announced.contains($0) }
        for (index, ssrc) in flood.enumerated() {
            var bytes = index < 5_000
                ? Self.rtp(payloadType: index.isMultiple(of: 2) ? videoPayloadType : retransmissionPayloadType,
                           sequence: UInt16(truncatingIfNeeded: index), ssrc: ssrc, isRetransmission: !index.isMultiple(of: 2))
                : Self.rtcp(from: ssrc)
            if index < 5_000 { try session.protectRTP(&bytes) } else { try session.protectRTCP(&bytes) }
            pair.answerer.handleDatagram(bytes, from: pair.offererAddress, at: pair.now)
        }
        pair.run(for: .milliseconds(100))

        let held = flood.filter { inbound.holdsSource($0) }
        #expect(held.count <= InboundSRTPSources.maximumRTCPOnlySources, "libsrtp kept \(held.count) of the flood's sources")
        #expect(kept.allSatisfy { inbound.holdsSource($0) }, "an admitted source lost its SRTP state")
        #expect(pair.answerer.statistics.unadmittedSourcePackets >= 5_000 - 1)
        // No invented RTX source repaired the real stream (its sequence number would have gone on as media).
        let placed = pair.answererEvents.filter { if case .rtp(let packet, _, _) = $0 { packet.sequenceNumber == Self.inventedOriginalSequence } else { false } }
        #expect(placed.isEmpty, "\(placed.count) invented retransmissions went on as media")

        // Media still flows from the admitted sources.
        let before = pair.answerer.statistics.rtpPackets
        for _ in 0..<10 {
            pair.offerer.sendFrame([0x10, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00] + Array(repeating: 7, count: 500),
                                   kind: .video, rtpTimestamp: timestamp, at: pair.now)
            timestamp &+= 3000
            pair.run(for: .milliseconds(30))
        }
        #expect(pair.answerer.statistics.rtpPackets > before)
        let ends = pair.answererEvents.filter { if case .closed = $0 { true } else if case .failed = $0 { true } else { false } }
        #expect(ends.isEmpty, "the answerer's connection ended: \(ends)")
    }
}
