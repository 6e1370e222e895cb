import Testing
import CEngageOpenSSL
@testable import Mesh

@Suite struct DTLSEndpointTests {
    @Test func handshakeYieldsMirroredKeysAndGCM() throws {
        let pair = try DTLSPair()
        pair.connect()

        let clientKeys = try #require(pair.clientKeys)
        let serverKeys = try #require(pair.serverKeys)
        #expect(clientKeys.profile == .aeadAes128Gcm)
        #expect(serverKeys.profile == .aeadAes128Gcm)
        #expect(clientKeys.local == serverKeys.remote)
        #expect(clientKeys.remote == serverKeys.local)
        #expect(clientKeys.local != clientKeys.remote)
        #expect(clientKeys.local.key.count == 16 && clientKeys.local.salt.count == 12)

        let negotiation = try #require(pair.server.negotiation)
        #expect(negotiation.version == "DTLSv1.2")
        #expect(negotiation.cipher == "ECDHE-ECDSA-AES128-GCM-SHA256")
        #expect(negotiation.srtpProfile == .aeadAes128Gcm)
        #expect(pair.client.negotiation == negotiation)
        #expect(pair.client.isConnected && pair.server.isConnected)
        #expect(pair.sent.allSatisfy { $0.bytes.count <= 1200 })
        #expect(pair.sent.allSatisfy { isSingleDTLSRecord($0.bytes) })
        // Once both are done nobody waits to retransmit.
        #expect(pair.client.nextDeadline == nil)
    }

    /// Every connection of one certificate uses one OpenSSL context (built once: about 0.1 ms and 12 KB each),
    /// so a context must keep nothing per connection: no session of any finished handshake stays behind.
    @Test func connectionsOfOneCertificateShareOneContextThatKeepsNoSessions() throws {
        let clientCertificate = try DTLSCertificate(), serverCertificate = try DTLSCertificate()
        var servers: [DTLSEndpoint] = []
        for _ in 0..<5 {
            let client = try DTLSEndpoint(role: .client, certificate: clientCertificate,
                                          remoteFingerprint: serverCertificate.fingerprint)
            let server = try DTLSEndpoint(role: .server, certificate: serverCertificate,
                                          remoteFingerprint: clientCertificate.fingerprint)
            client.start(at: .zero)
            server.start(at: .zero)
            var moved = true
            while moved {
                moved = false
                while let datagram = client.pollTransmit() { moved = true; server.handleDatagram(datagram[...], at: .zero) }
                while let datagram = server.pollTransmit() { moved = true; client.handleDatagram(datagram[...], at: .zero) }
            }
            #expect(client.isConnected && server.isConnected)
            servers.append(server)
        }
        #expect(servers.allSatisfy { $0.context === servers[0].context })
        #expect(SSL_CTX_ctrl(servers[0].context.pointer, SSL_CTRL_SESS_NUMBER, 0, nil) == 0)
    }

    @Test func serverChoosesByItsOwnPreference() throws {
        // OpenSSL 3 walks the client's list but only accepts profiles ranked higher in the
        // server's list than the match so far: the server's order wins.
        let pair = try DTLSPair(clientProfiles: [.aes128CmHmacSha1_80, .aeadAes256Gcm, .aeadAes128Gcm])
        pair.connect()
        #expect(pair.clientKeys?.profile == .aeadAes128Gcm)
        #expect(pair.serverKeys?.profile == .aeadAes128Gcm)
    }

    @Test(arguments: [SRTPProfile.aes128CmHmacSha1_80, .aeadAes256Gcm])
    func eachProfileKeysWithItsLengths(_ profile: SRTPProfile) throws {
        let pair = try DTLSPair(clientProfiles: [profile])
        pair.connect()
        let keys = try #require(pair.clientKeys)
        #expect(keys.profile == profile)
        #expect(keys.local.key.count == profile.masterKeyLength)
        #expect(keys.local.salt.count == profile.masterSaltLength)
        #expect(keys.remote == pair.serverKeys?.local)
    }

    @Test func noCommonProfileFails() throws {
        let pair = try DTLSPair(clientProfiles: [.aes128CmHmacSha1_80], serverProfiles: [.aeadAes128Gcm])
        pair.connect()
        #expect(pair.clientKeys == nil && pair.serverKeys == nil)
        #expect(pair.clientEvents.contains { if case .failed = $0 { true } else { false } })
    }

    @Test func wrongServerFingerprintFailsTheClient() throws {
        let stranger = try DTLSCertificate()
        let pair = try DTLSPair(clientExpects: stranger.fingerprint)
        pair.connect()
        #expect(pair.clientKeys == nil)
        let failure = try #require(pair.clientEvents.compactMap { event -> String? in
            if case .failed(let message) = event { return message }
            return nil
        }.first)
        #expect(failure.contains("fingerprint"))
        #expect(failure.contains("does not match"))
        #expect(failure.contains(stranger.fingerprint.sdpValue))
        #expect(pair.clientEvents.count == 1)
        // The client tells the server with close_notify rather than leaving it hanging.
        #expect(pair.serverEvents.last == .closed)
        #expect(throws: DTLSError.self) { try pair.client.send([1, 2, 3]) }
    }

    @Test func wrongClientFingerprintFailsTheServer() throws {
        let stranger = try DTLSCertificate()
        let pair = try DTLSPair(serverExpects: DTLSFingerprint(algorithm: .sha1, certificateDER: stranger.der))
        pair.connect()
        #expect(pair.serverKeys == nil)
        #expect(pair.serverEvents.count == 1)
        guard case .failed(let message) = pair.serverEvents.first else {
            Issue.record("expected .failed, got \(pair.serverEvents)")
            return
        }
        #expect(message.contains("sha-1"))
        #expect(message.contains("does not match"))
    }

    @Test func fingerprintMayArriveAfterTheHandshake() throws {
        let pair = try DTLSPair(expectNoFingerprintOnServer: true)
        pair.connect()
        #expect(pair.clientKeys != nil)
        #expect(pair.serverKeys == nil && pair.serverEvents.isEmpty)

        try pair.client.send(Array("early".utf8))
        pair.exchange()
        #expect(pair.serverEvents.isEmpty)

        pair.server.setRemoteFingerprint(pair.clientCertificate.fingerprint)
        pair.exchange()
        #expect(pair.serverKeys?.remote == pair.clientKeys?.local)
        #expect(DTLSPair.applicationData(in: pair.serverEvents) == [Array("early".utf8)])
    }

    @Test func applicationDataFlowsBothWays() throws {
        let pair = try DTLSPair()
        pair.connect()
        try pair.client.send(Array("hello server".utf8))
        try pair.server.send(Array("hello client".utf8))
        let large = (0..<pair.client.maximumApplicationDataLength).map { UInt8(truncatingIfNeeded: $0) }
        try pair.client.send(large)
        pair.exchange()
        #expect(DTLSPair.applicationData(in: pair.serverEvents) == [Array("hello server".utf8), large])
        #expect(DTLSPair.applicationData(in: pair.clientEvents) == [Array("hello client".utf8)])
        #expect(pair.sent.allSatisfy { $0.bytes.count <= 1200 && isSingleDTLSRecord($0.bytes) })
        #expect(pair.client.maximumApplicationDataLength > 1100)
        #expect(throws: DTLSError.self) { try pair.client.send(large + [0]) }
    }

    @Test func closeNotifyClosesThePeer() throws {
        let pair = try DTLSPair()
        pair.connect()
        pair.client.close()
        pair.exchange()
        #expect(pair.serverEvents.last == .closed)
        #expect(!pair.server.isConnected)
        #expect(pair.clientEvents.last != .closed)  // the closer gets no event of its own
        // Datagrams after the close are ignored.
        try? pair.server.send([1])
        pair.exchange()
        #expect(DTLSPair.applicationData(in: pair.clientEvents).isEmpty)
    }

    /// WebRTC never renegotiates: a peer asking for it, from either side, gets no second handshake out of us.
    @Test(arguments: [DTLSRole.client, .server])
    func aPeerAskingToRenegotiateGetsNoSecondHandshake(_ ours: DTLSRole) throws {
        let pair = try DTLSPair()
        pair.connect()
        let keys = try #require(pair.clientKeys)
        let (us, peer) = ours == .client ? (pair.client, pair.server) : (pair.server, pair.client)
        let alreadySent = pair.sent.count
        for _ in 0..<3 {
            // The peer's own OpenSSL, told to renegotiate: a HelloRequest from a server, a ClientHello from a client.
            _ = SSL_renegotiate(peer.ssl)
            _ = SSL_do_handshake(peer.ssl)
            pair.exchange()
        }
        let handshakeRecord: UInt8 = 22
        let ourHandshakeRecords = pair.sent.dropFirst(alreadySent).filter { $0.from == ours && $0.bytes.first == handshakeRecord }
        #expect(ourHandshakeRecords.isEmpty, "we answered a renegotiation with \(ourHandshakeRecords.count) handshake records")
        #expect(us.isConnected)
        #expect(pair.clientKeys == keys)
    }

    @Test func smallMTUFragmentsTheHandshake() throws {
        let pair = try DTLSPair(mtu: 300)
        pair.connect()
        #expect(pair.clientKeys != nil && pair.serverKeys != nil)
        #expect(pair.sent.allSatisfy { $0.bytes.count <= 300 })
        #expect(pair.sent.allSatisfy { isSingleDTLSRecord($0.bytes) })
        // The Certificate message (DER plus headers) does not fit one datagram: fragments did the job.
        let certificateFragments = pair.sent.filter { $0.from == .server && dtlsHandshakeType($0.bytes) == 11 }
        #expect(certificateFragments.count >= 2)
    }

    @Test func garbageIsIgnored() throws {
        let pair = try DTLSPair()
        pair.client.start(at: .zero)
        pair.server.handleDatagram([22, 254, 253, 0, 0, 0][...], at: .zero)
        pair.server.handleDatagram([][...], at: .zero)
        pair.server.handleDatagram(ArraySlice(repeating: 0xff, count: 2000), at: .zero)
        pair.exchange()
        #expect(throws: DTLSError.self) {
            try DTLSEndpoint(role: .client, certificate: pair.clientCertificate, remoteFingerprint: nil, mtu: 100)
        }
        #expect(pair.clientKeys != nil && pair.serverKeys != nil, "\(pair.clientEvents) \(pair.serverEvents)")
    }

    @Test(.timeLimit(.minutes(1)))
    func lostFlightsAreRetransmittedOnTimeout() async throws {
        let pair = try DTLSPair(initialRetransmitTimeout: .milliseconds(20))
        var droppedServerHello = false
        var droppedClientFinishFlight = false
        var droppedServerFinishFlight = false
        var dropped = 0
        let drop: (DTLSRole, [UInt8]) -> Bool = { role, datagram in
            // Lose the whole first server flight (ServerHello ... ServerHelloDone), then the
            // client's first Certificate ... Finished flight, then the server's ChangeCipherSpec
            // + Finished, which it only resends when the client's flight comes again.
            if role == .server, !droppedServerHello {
                if dtlsHandshakeType(datagram) == 14 { droppedServerHello = true }  // ServerHelloDone
                dropped += 1
                return true
            }
            if role == .client, droppedServerHello, !droppedClientFinishFlight {
                if dtlsContentType(datagram) == 20 { droppedClientFinishFlight = true }  // ChangeCipherSpec
                dropped += 1
                return true
            }
            if role == .server, droppedClientFinishFlight, !droppedServerFinishFlight {
                if dtlsContentType(datagram) == 22, datagram.count > 4, datagram[4] == 1 {
                    droppedServerFinishFlight = true  // the epoch-1 Finished
                }
                dropped += 1
                return true
            }
            return false
        }
        pair.client.start(at: pair.now)
        pair.exchange(drop: drop)
        var rounds = 0
        while pair.clientKeys == nil || pair.serverKeys == nil {
            rounds += 1
            try #require(rounds < 50, "handshake did not recover")
            let deadline = try #require(Deadline.earliest([pair.client.nextDeadline, pair.server.nextDeadline]))
            #expect(deadline.reason == "DTLS retransmit")
            // OpenSSL's timer reads the real clock: let real time catch up with virtual time.
            try await Task.sleep(for: max(.zero, deadline.at - pair.now) + .milliseconds(2))
            pair.now = max(pair.now, deadline.at)
            pair.client.handleTimeout(at: pair.now)
            pair.server.handleTimeout(at: pair.now)
            pair.exchange(drop: drop)
        }
        #expect(droppedServerHello && droppedClientFinishFlight && droppedServerFinishFlight)
        #expect(dropped >= 7)
        #expect(pair.clientKeys?.local == pair.serverKeys?.remote)
        #expect(pair.sent.allSatisfy { $0.bytes.count <= 1200 })
    }

    @Test func handshakeGivesUpWhenThePeerIsSilent() throws {
        // A 1 µs first timeout is always expired (OpenSSL rounds anything under 15 ms to
        // "now"), and OpenSSL also checks its timer whenever it finds nothing to read, so
        // the whole give-up sequence (12 retransmissions) runs inside the first calls.
        let certificate = try DTLSCertificate()
        let client = try DTLSEndpoint(
            role: .client, certificate: certificate, remoteFingerprint: certificate.fingerprint,
            initialRetransmitTimeout: .microseconds(1))
        client.start(at: .zero)
        var clientHellos = 0
        var event: DTLSEvent?
        for step in 1...40 where event == nil {
            while client.pollTransmit() != nil { clientHellos += 1 }
            event = client.pollEvent()
            client.handleTimeout(at: .milliseconds(Int64(step)))
        }
        while client.pollTransmit() != nil { clientHellos += 1 }
        guard case .failed(let message) = event else {
            Issue.record("expected .failed, got \(String(describing: event))")
            return
        }
        #expect(message.contains("read timeout expired"))
        #expect(clientHellos == 13)
        #expect(client.nextDeadline == nil)
        #expect(client.pollEvent() == nil)
    }
}
