import Testing

@testable import Mesh

/// Our AES-GCM SRTP (RFC 7714) against libsrtp2's, which browsers' SRTP agrees with: the same keys must give
/// the same bytes, each must open what the other protects, through sequence-number wraps, reordering,
/// retransmission, CSRCs, header extensions and padding; and the replay window must answer as RFC 3711 asks.
@Suite struct AEADSRTPTransformTests {
    static let gcmProfiles: [SRTPProfile] = [.aeadAes128Gcm, .aeadAes256Gcm]

    private struct Pair {
        let ours: SRTPSession
        let libsrtp: SRTPSession
    }

    private static func pairs(_ profile: SRTPProfile, seed: UInt64) throws -> (outbound: Pair, inbound: Pair) {
        var random = SplitMix64(seed: seed)
        let key = (0..<profile.masterKeyLength).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let salt = (0..<profile.masterSaltLength).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        func session(_ direction: SRTPSession.Direction, _ implementation: SRTPSession.Implementation) throws -> SRTPSession {
            try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: direction, implementation: implementation)
        }
        return (Pair(ours: try session(.outbound, .automatic), libsrtp: try session(.outbound, .libsrtp)),
                Pair(ours: try session(.inbound, .automatic), libsrtp: try session(.inbound, .libsrtp)))
    }

    /// An RTP packet with `csrcs` CSRCs, an optional one-byte-header extension and optional padding.
    private static func rtp(sequence: UInt16, ssrc: UInt32, csrcs: Int, extensionWords: Int?, padding: Int,
                            payload: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(UInt8(0x80 | (padding > 0 ? 0x20 : 0) | (extensionWords != nil ? 0x10 : 0) | UInt8(csrcs)))
        writer.write(UInt8(96))
        writer.write(sequence)
        writer.write(UInt32(sequence) &* 3_000)
        writer.write(ssrc)
        for index in 0..<csrcs { writer.write(UInt32(0xC000 + index)) }
        if let extensionWords {
            writer.write(UInt16(0xBEDE))
            writer.write(UInt16(extensionWords))
            for word in 0..<extensionWords { writer.write(UInt32(0x1000_0000 | UInt32(word))) }
        }
        writer.write(contentsOf: payload)
        if padding > 0 {
            writer.write(contentsOf: Array(repeating: 0, count: padding - 1))
            writer.write(UInt8(padding))
        }
        return writer.bytes
    }

    @Test(arguments: gcmProfiles)
    func rtpMatchesLibsrtpByteForByteThroughWrapsReorderingAndRetransmission(_ profile: SRTPProfile) throws {
        let (outbound, inbound) = try Self.pairs(profile, seed: UInt64(profile.rawValue))
        var random = SplitMix64(seed: 99)
        // Start near the wrap so the rollover counter goes 0 -> 1 -> 2 within the run.
        var sequence: UInt16 = 65_000
        var sent: [[UInt8]] = []
        for step in 0..<140_000 {
            let payload = (0..<Int(random.next() % 300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let plain = Self.rtp(sequence: sequence, ssrc: 0xA1B2_C3D4, csrcs: Int(random.next() % 3),
                                 extensionWords: random.next() % 2 == 0 ? Int(random.next() % 4) : nil,
                                 padding: random.next() % 5 == 0 ? Int(random.next() % 8) + 1 : 0, payload: payload)
            var ours = plain
            var theirs = plain
            try outbound.ours.protectRTP(&ours)
            try outbound.libsrtp.protectRTP(&theirs)
            #expect(ours == theirs, "step \(step), sequence \(sequence)")
            sent.append(ours)
            // Deliver mostly in order, sometimes swapped with the previous one; ours opens libsrtp's and back.
            if step % 7 == 3, sent.count >= 2 { sent.swapAt(sent.count - 1, sent.count - 2) }
            if sent.count >= 2 || step == 139_999 {
                for packet in sent {
                    var forOurs = packet
                    var forLibsrtp = packet
                    try inbound.ours.unprotectRTP(&forOurs)
                    try inbound.libsrtp.unprotectRTP(&forLibsrtp)
                    #expect(forOurs == forLibsrtp)
                }
                sent.removeAll()
            }
            // Now and then a retransmission of an older packet with its original sequence number.
            if step % 1_000 == 500 {
                let old = sequence &- 40
                let resent = Self.rtp(sequence: old, ssrc: 0xA1B2_C3D4, csrcs: 0, extensionWords: nil, padding: 0, payload: [1, 2, 3])
                var ours = resent
                var theirs = resent
                try outbound.ours.protectRTP(&ours)
                try outbound.libsrtp.protectRTP(&theirs)
                #expect(ours == theirs, "retransmission at step \(step)")
                // The receiver saw that index already (with other bytes): a replay.
                let error = try #require(throws: SRTPError.self) { try inbound.ours.unprotectRTP(&ours) }
                #expect(error.reason == .replayed)
            }
            sequence &+= 1
        }
    }

    @Test(arguments: gcmProfiles)
    func rtcpMatchesLibsrtpByteForByte(_ profile: SRTPProfile) throws {
        let (outbound, inbound) = try Self.pairs(profile, seed: 7)
        for count in 0..<300 {
            var writer = ByteWriter()
            writer.write(UInt8(0x80))
            writer.write(UInt8(201))
            writer.write(UInt16(1 + count % 5))
            writer.write(UInt32(0x5151_0000 + UInt32(count % 3)))
            for word in 0..<(count % 5) { writer.write(UInt32(word * 77)) }
            let plain = writer.bytes
            var ours = plain
            var theirs = plain
            try outbound.ours.protectRTCP(&ours)
            try outbound.libsrtp.protectRTCP(&theirs)
            #expect(ours == theirs, "packet \(count)")
            var openedByLibsrtp = ours
            try inbound.libsrtp.unprotectRTCP(&openedByLibsrtp)
            #expect(openedByLibsrtp == plain)
            try inbound.ours.unprotectRTCP(&theirs)
            #expect(theirs == plain)
        }
    }

    @Test func headersThatRunPastTheirPacketAreMalformedNotATrap() throws {
        let (_, inbound) = try Self.pairs(.aeadAes128Gcm, seed: 3)
        var runs: [[UInt8]] = [
            [0x8F, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1],  // 15 CSRCs announced, none present
            [0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE, 0xDE, 0xFF, 0xFF] + Array(repeating: 0, count: 20),
            [0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE],  // extension header cut short
            [0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1] + Array(repeating: 0, count: 15),  // no room for a tag
        ]
        for index in runs.indices {
            let error = try #require(throws: SRTPError.self) { try inbound.ours.unprotectRTP(&runs[index]) }
            #expect(error.reason == .malformed)
        }
        var unencrypted = Array(repeating: UInt8(0), count: 28)
        unencrypted[0] = 0x80
        unencrypted[1] = 200
        #expect(throws: SRTPError.self) { try inbound.ours.unprotectRTCP(&unencrypted) }
        #expect(!inbound.ours.holdsSource(1))
    }

    @Test func theReplayWindowAcceptsEachIndexOnceWithinItsSize() {
        var window = SRTPReplayWindow(first: 5_000)
        #expect(window.verdict(for: 5_000) == .replayed)
        #expect(window.verdict(for: 4_999) == .fresh)
        #expect(window.verdict(for: 5_000 - 1_024) == .tooOld)
        window.accept(4_999)
        #expect(window.verdict(for: 4_999) == .replayed)
        // Moving ahead by less than the window keeps what it saw; the slots it moves onto start empty.
        window.accept(5_900)
        #expect(window.verdict(for: 4_999) == .replayed)
        #expect(window.verdict(for: 5_899) == .fresh)
        window.accept(6_030)
        #expect(window.verdict(for: 4_999) == .tooOld)
        #expect(window.verdict(for: 5_900) == .replayed)
        #expect(window.verdict(for: 6_029) == .fresh)
        // A jump beyond the window forgets everything before it.
        window.accept(100_000)
        #expect(window.verdict(for: 6_030) == .tooOld)
        #expect(window.verdict(for: 99_000) == .fresh)
        #expect(window.verdict(for: 100_000) == .replayed)

        // Sequence numbers map to the index nearest the highest, across the wrap both ways, with libsrtp2's
        // ties: exactly 2^15 ahead counts as ahead below the middle of the sequence space, as behind above it.
        let nearWrap = SRTPReplayWindow(first: 65_530)
        #expect(nearWrap.estimateIndex(of: 3) == 65_539)
        #expect(nearWrap.estimateIndex(of: 65_000) == 65_000)
        #expect(nearWrap.estimateIndex(of: 65_530 - 32_768) == 65_530 - 32_768)
        let afterWrap = SRTPReplayWindow(first: 65_540)
        #expect(afterWrap.estimateIndex(of: 65_530) == 65_530)
        #expect(afterWrap.estimateIndex(of: 4 + 32_768) == 65_536 + 4 + 32_768)
        // While the highest index is at most 2^15 the rollover counter stays 0.
        #expect(SRTPReplayWindow(first: 10).estimateIndex(of: 65_000) == 65_000)
    }
}
