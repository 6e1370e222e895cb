import Mesh

/// SRTP and SRTCP with AES-GCM, ours (`AEADSRTPTransform`) against libsrtp2's: a script of packets to
/// protect and to unprotect, in one session pair per implementation. Whatever the bytes, neither may trap;
/// what both protect must come out byte for byte the same (the same keys, index and nonce), must open on
/// our inbound side to what went in, and a forged packet must open on ours exactly when it opens on libsrtp.
enum SRTPTarget {
    static let target = FuzzTarget(name: "srtp", run: run, seeds: seeds)
    static let maximumSteps = 64

    /// libsrtp2 runs on NSS, which loads its token with the first session and unloads it with the last: a
    /// session held for the process keeps that out of every input's time. It is never used.
    nonisolated(unsafe) static let keepsNSSLoaded = try? SRTPSession(
        profile: .aeadAes128Gcm, masterKey: Array(repeating: 0, count: 16), masterSalt: Array(repeating: 0, count: 12),
        direction: .inbound, implementation: .libsrtp)

    private struct Sessions {
        let ours: (outbound: SRTPSession, inbound: SRTPSession)
        let libsrtp: (outbound: SRTPSession, inbound: SRTPSession)

        init?(profile: SRTPProfile) {
            let key = (0..<profile.masterKeyLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 5) }
            let salt = (0..<profile.masterSaltLength).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 3) }
            func session(_ direction: SRTPSession.Direction, _ implementation: SRTPSession.Implementation) -> SRTPSession? {
                try? SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: direction,
                                 implementation: implementation)
            }
            guard let oursOut = session(.outbound, .automatic), let oursIn = session(.inbound, .automatic),
                  let theirsOut = session(.outbound, .libsrtp), let theirsIn = session(.inbound, .libsrtp)
            else { return nil }
            ours = (oursOut, oursIn)
            libsrtp = (theirsOut, theirsIn)
        }
    }

    static func run(_ bytes: [UInt8]) {
        guard keepsNSSLoaded != nil else { fatalError("srtp: no libsrtp session could be made") }
        var input = FuzzInput(bytes)
        let profile: SRTPProfile = input.bool() ? .aeadAes256Gcm : .aeadAes128Gcm
        guard let sessions = Sessions(profile: profile) else { fatalError("srtp: no session for \(profile)") }
        // Sequence numbers go on from the last one protected, so scripts reach the rollover counter.
        var sequence = input.uint16()
        for _ in 0..<maximumSteps where !input.isAtEnd {
            let step = input.byte()
            switch step % 4 {
            case 0, 1:
                // An RTP packet to protect: a header of any shape, the next sequence number or a jump.
                var packet = input.bytes(12) + input.shortBytes()
                guard packet.count >= 12 else { continue }
                packet[0] = 0x80 | packet[0] & 0x3f
                sequence = step & 0x80 != 0 ? sequence &+ input.uint16() : sequence &+ 1
                packet[2] = UInt8(truncatingIfNeeded: sequence >> 8)
                packet[3] = UInt8(truncatingIfNeeded: sequence)
                compare(packet, sessions: sessions, rtcp: false)
            case 2:
                // An RTCP packet to protect.
                var packet = input.shortBytes()
                guard packet.count >= 8 else { continue }
                packet[0] = 0x80 | packet[0] & 0x3f
                compare(packet, sessions: sessions, rtcp: true)
            default:
                // Bytes as they come, to unprotect: both implementations must agree on whether they open.
                _ = openOnBoth(input.shortBytes(), sessions: sessions, rtcp: step & 0x80 != 0, what: "forged packet")
            }
        }
    }

    /// Unprotects `packet` on both inbound sessions, which must agree on whether it opens and on what it
    /// opens to; what it opened to, nil when it did not.
    private static func openOnBoth(_ packet: [UInt8], sessions: Sessions, rtcp: Bool, what: String) -> [UInt8]? {
        func open(_ session: SRTPSession) -> [UInt8]? {
            var bytes = packet
            do {
                if rtcp { try session.unprotectRTCP(&bytes) } else { try session.unprotectRTP(&bytes) }
                return bytes
            } catch {
                return nil
            }
        }
        let ours = open(sessions.ours.inbound)
        let theirs = open(sessions.libsrtp.inbound)
        RoundTrip.require((ours == nil) == (theirs == nil),
                          "srtp: \(what) opened by \(ours != nil ? "ours" : "libsrtp") only: \(packet)")
        RoundTrip.require(ours == theirs, "srtp: \(what) opened differently: \(packet)")
        return ours
    }

    private static func compare(_ plain: [UInt8], sessions: Sessions, rtcp: Bool) {
        var ours = plain
        var theirs = plain
        let oursSealed: Bool
        let libsrtpSealed: Bool
        if rtcp {
            oursSealed = (try? sessions.ours.outbound.protectRTCP(&ours)) != nil
            libsrtpSealed = (try? sessions.libsrtp.outbound.protectRTCP(&theirs)) != nil
        } else {
            oursSealed = (try? sessions.ours.outbound.protectRTP(&ours)) != nil
            libsrtpSealed = (try? sessions.libsrtp.outbound.protectRTP(&theirs)) != nil
        }
        RoundTrip.require(oursSealed == libsrtpSealed,
                          "srtp: \(plain) protected by \(oursSealed ? "ours" : "libsrtp") only")
        guard oursSealed else { return }
        RoundTrip.require(ours == theirs, "srtp: protected differently from libsrtp: \(plain)")
        // Both inbound sessions see every packet both protected, so their replay state stays the same.
        if let opened = openOnBoth(ours, sessions: sessions, rtcp: rtcp, what: "our own packet") {
            RoundTrip.require(opened == plain, "srtp: unprotect did not give back \(plain)")
        }
    }

    static func seeds() -> [[UInt8]] {
        var script = FuzzScript()
        script.byte(0)
        script.uint16(65_530)
        for index in 0..<12 {
            // Opus-sized RTP packets across the sequence-number wrap, with an RTCP report now and then.
            script.byte(0)
            script.raw([0x80, 111, 0, 0, 0, 0, 0x10, UInt8(index), 0x12, 0x34, 0x56, 0x78])
            script.shortBytes(Array(repeating: UInt8(index), count: 40))
            if index % 4 == 3 {
                script.byte(2)
                script.shortBytes([0x80, 201, 0, 1, 0x12, 0x34, 0x56, 0x78])
            }
        }
        script.byte(3)
        script.shortBytes([0x80, 111, 0, 9, 0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78] + Array(repeating: 0, count: 20))
        var extended = FuzzScript()
        extended.byte(1)
        extended.uint16(1)
        // CSRCs and a header extension, and a jump in sequence numbers.
        extended.byte(0x80)
        extended.raw([0x92, 96, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2])
        extended.shortBytes([0, 0, 0, 3, 0, 0, 0, 4, 0xBE, 0xDE, 0, 1, 0x10, 0xFF, 0, 0] + Array(repeating: 9, count: 30))
        extended.uint16(40_000)
        return [script.bytes, extended.bytes]
    }
}
