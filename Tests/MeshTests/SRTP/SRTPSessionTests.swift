import Testing
@testable import Mesh

@Suite struct SRTPSessionTests {
    static func rtpPacket(sequence: UInt16, ssrc: UInt32 = 0x1234_5678, payload: [UInt8] = Array(0..<160)) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(UInt8(0x80))
        writer.write(UInt8(111))
        writer.write(sequence)
        writer.write(UInt32(sequence) * 960)
        writer.write(ssrc)
        writer.write(contentsOf: payload)
        return writer.bytes
    }

    /// A sender report without report blocks (28 bytes).
    static func rtcpSenderReport(ssrc: UInt32 = 0x1234_5678) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(UInt8(0x80))
        writer.write(UInt8(200))
        writer.write(UInt16(6))
        writer.write(ssrc)
        writer.write(UInt64(0xe000_0000_8000_0000))
        writer.write(UInt32(48_000))
        writer.write(UInt32(10))
        writer.write(UInt32(1_600))
        return writer.bytes
    }

    static func sessions(_ profile: SRTPProfile) throws -> (outbound: SRTPSession, inbound: SRTPSession) {
        let key = Crypto.randomBytes(profile.masterKeyLength)
        let salt = Crypto.randomBytes(profile.masterSaltLength)
        return (
            try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .outbound),
            try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .inbound)
        )
    }

    static func tagLength(_ profile: SRTPProfile) -> Int { profile == .aes128CmHmacSha1_80 ? 10 : 16 }

    @Test(arguments: SRTPProfile.allCases)
    func rtpRoundTrips(_ profile: SRTPProfile) throws {
        let (outbound, inbound) = try Self.sessions(profile)
        for sequence in UInt16(1)...20 {
            let plain = Self.rtpPacket(sequence: sequence)
            var packet = plain
            try outbound.protectRTP(&packet)
            #expect(packet.count == plain.count + Self.tagLength(profile))
            #expect(packet.prefix(12) == plain.prefix(12))
            #expect(packet[12..<plain.count] != plain[12...])
            try inbound.unprotectRTP(&packet)
            #expect(packet == plain)
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func rtcpRoundTrips(_ profile: SRTPProfile) throws {
        let (outbound, inbound) = try Self.sessions(profile)
        for _ in 0..<3 {
            let plain = Self.rtcpSenderReport()
            var packet = plain
            try outbound.protectRTCP(&packet)
            // SRTCP adds the E flag + index word and the tag.
            #expect(packet.count == plain.count + 4 + Self.tagLength(profile))
            try inbound.unprotectRTCP(&packet)
            #expect(packet == plain)
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func tamperingFailsAuthentication(_ profile: SRTPProfile) throws {
        let (outbound, inbound) = try Self.sessions(profile)
        var packet = Self.rtpPacket(sequence: 7)
        try outbound.protectRTP(&packet)
        let original = packet
        packet[20] ^= 0x01
        let error = try #require(throws: SRTPError.self) { try inbound.unprotectRTP(&packet) }
        #expect(error.reason == .authenticationFailed)
        #expect(error.description.contains("authentication failed"))
        // A failed packet keeps its length and leaves the session usable for the genuine one.
        #expect(packet.count == original.count)
        packet = original
        try inbound.unprotectRTP(&packet)

        var report = Self.rtcpSenderReport()
        try outbound.protectRTCP(&report)
        report[report.count - 1] ^= 0x80
        #expect(throws: SRTPError.self) { try inbound.unprotectRTCP(&report) }
    }

    @Test(arguments: SRTPProfile.allCases)
    func replaysAreRejected(_ profile: SRTPProfile) throws {
        let (outbound, inbound) = try Self.sessions(profile)
        var packet = Self.rtpPacket(sequence: 100)
        try outbound.protectRTP(&packet)
        var first = packet
        try inbound.unprotectRTP(&first)
        var again = packet
        let error = try #require(throws: SRTPError.self) { try inbound.unprotectRTP(&again) }
        #expect(error.reason == .replayed)
        #expect(error.description.contains("replay"))

        var report = Self.rtcpSenderReport()
        try outbound.protectRTCP(&report)
        var firstReport = report
        try inbound.unprotectRTCP(&firstReport)
        #expect(throws: SRTPError.self) { try inbound.unprotectRTCP(&report) }
    }

    @Test func reorderingInsideTheWindowIsAccepted() throws {
        let (outbound, inbound) = try Self.sessions(.aeadAes128Gcm)
        var packets: [[UInt8]] = []
        for sequence in UInt16(1)...10 {
            var packet = Self.rtpPacket(sequence: sequence)
            try outbound.protectRTP(&packet)
            packets.append(packet)
        }
        for var packet in packets.reversed() {
            try inbound.unprotectRTP(&packet)
        }
    }

    @Test func outboundAllowsItsOwnRetransmissions() throws {
        let (outbound, _) = try Self.sessions(.aeadAes128Gcm)
        var first = Self.rtpPacket(sequence: 5)
        var resent = first
        try outbound.protectRTP(&first)
        try outbound.protectRTP(&resent)
        #expect(first == resent)
    }

    @Test func wrongKeyLengthsAndRuntsAreRejected() throws {
        #expect(throws: SRTPError.self) {
            try SRTPSession(profile: .aeadAes128Gcm, masterKey: Array(repeating: 1, count: 16), masterSalt: Array(repeating: 1, count: 14), direction: .inbound)
        }
        let (outbound, inbound) = try Self.sessions(.aes128CmHmacSha1_80)
        var runt: [UInt8] = [0x80, 111, 0, 1]
        let error = try #require(throws: SRTPError.self) { try inbound.unprotectRTP(&runt) }
        #expect(error.reason == .malformed)
        #expect(throws: SRTPError.self) { try outbound.protectRTCP(&runt) }
        // Every truncation of a protected packet fails cleanly.
        var packet = Self.rtpPacket(sequence: 1)
        try outbound.protectRTP(&packet)
        for length in 0..<packet.count {
            var truncated = Array(packet.prefix(length))
            #expect(throws: SRTPError.self) { try inbound.unprotectRTP(&truncated) }
        }
    }

    @Test func keysFromADTLSHandshakeProtectBothWays() throws {
        let pair = try DTLSPair()
        pair.connect()
        let clientKeys = try #require(pair.clientKeys)
        let serverKeys = try #require(pair.serverKeys)
        #expect(clientKeys.profile == .aeadAes128Gcm)

        func sessions(_ keys: SRTPKeyMaterial) throws -> (outbound: SRTPSession, inbound: SRTPSession) {
            (try SRTPSession(profile: keys.profile, masterKey: keys.local.key, masterSalt: keys.local.salt, direction: .outbound),
             try SRTPSession(profile: keys.profile, masterKey: keys.remote.key, masterSalt: keys.remote.salt, direction: .inbound))
        }
        let client = try sessions(clientKeys)
        let server = try sessions(serverKeys)

        let fromClient = Self.rtpPacket(sequence: 1, ssrc: 1)
        var packet = fromClient
        try client.outbound.protectRTP(&packet)
        try server.inbound.unprotectRTP(&packet)
        #expect(packet == fromClient)

        let fromServer = Self.rtcpSenderReport(ssrc: 2)
        var report = fromServer
        try server.outbound.protectRTCP(&report)
        try client.inbound.unprotectRTCP(&report)
        #expect(report == fromServer)

        // A direction's key does not open the other direction's packets.
        var crossed = Self.rtpPacket(sequence: 2, ssrc: 3)
        try client.outbound.protectRTP(&crossed)
        #expect(throws: SRTPError.self) { try client.inbound.unprotectRTP(&crossed) }
    }
}
