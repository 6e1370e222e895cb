import Testing
@testable import Mesh

/// The controlled agent facing a hand-written peer, the way Chromium talks to it.
@Suite struct ICEAgentRequestTests {
    let local = TransportAddress(host: "127.0.0.1", port: 50001) ?? TransportAddress(addressBytes: [0, 0, 0, 0], port: 0)!
    let signalled = TransportAddress(host: "127.0.0.1", port: 50000) ?? TransportAddress(addressBytes: [0, 0, 0, 0], port: 0)!
    /// Where the peer's checks really come from, e.g. behind a NAT: never signalled.
    let reflexive = TransportAddress(host: "192.0.2.77", port: 40000) ?? TransportAddress(addressBytes: [0, 0, 0, 0], port: 0)!
    let peer = ICECredentials(ufrag: "PeEr", pwd: "peerpasswordpeerpassword")
    let peerTieBreaker: UInt64 = 0x1234_5678

    func makeAgent(role: ICERole = .controlled, tieBreaker: UInt64 = 0x8000_0000_0000_0000) -> ICEAgent {
        var agent = ICEAgent(role: role, localAddresses: [local], tieBreaker: tieBreaker, random: SplitMix64(seed: 9))
        let candidate = ICECandidate(foundation: "1", priority: ICECandidate.priority(kind: .host),
                                     address: signalled.host, port: signalled.port, kind: .host)
        agent.setRemote(ufrag: peer.ufrag, pwd: peer.pwd, candidates: [candidate])
        return agent
    }

    func request(
        _ agent: ICEAgent, id: UInt8, username: String? = nil, key: String? = nil, extra: [STUNAttribute]? = nil
    ) -> (STUNTransactionID, [UInt8]) {
        let transactionID = STUNTransactionID(bytes: Array(repeating: id, count: 12))!
        var attributes: [STUNAttribute] = []
        if let username = username ?? Optional("\(agent.localCredentials.ufrag):\(peer.ufrag)"), !username.isEmpty {
            attributes.append(.username(username))
        }
        attributes += extra ?? [.priority(ICECandidate.priority(kind: .peerReflexive)), .iceControlling(tieBreaker: peerTieBreaker), .useCandidate]
        let message = STUNMessage(.request, transactionID: transactionID, attributes: attributes)
        let integrity = key ?? agent.localCredentials.pwd
        return (transactionID, message.encode(integrityKey: integrity.isEmpty ? nil : Array(integrity.utf8), fingerprint: true))
    }

    func drain(_ agent: inout ICEAgent) -> [Datagram] {
        var out: [Datagram] = []
        while let datagram = agent.pollTransmit() { out.append(datagram) }
        return out
    }

    @Test func answersAndNominatesAPeerReflexiveRemote() throws {
        var agent = makeAgent()
        let (transactionID, bytes) = request(agent, id: 1)
        agent.handleDatagram(bytes, from: reflexive, to: local, at: .milliseconds(10))
        let sent = drain(&agent)

        // The answer: same transaction, the address we saw, signed with our password.
        let answer = try #require(sent.first { $0.destination == reflexive && STUNMessage.looksLikeSTUN($0.bytes) })
        #expect(answer.source == local)
        let response = try STUNMessage.decode(answer.bytes)
        #expect(response.messageClass == .successResponse)
        #expect(response.transactionID == transactionID)
        #expect(response.xorMappedAddress == reflexive)
        #expect(response.hasFingerprint)
        #expect(response.verifyIntegrity(key: Array(agent.localCredentials.pwd.utf8)))

        // The peer-reflexive address became a remote candidate with a pair of its own.
        #expect(agent.remoteCandidates.contains { $0.address == reflexive && $0.kind == .peerReflexive })
        #expect(agent.pairs.contains { $0.remote == reflexive })

        // A triggered check goes back to it (now, or at the next pacing slot).
        var checks = sent.filter { $0.destination == reflexive && $0.bytes != answer.bytes }
        if checks.isEmpty {
            agent.handleTimeout(at: .milliseconds(100))
            checks = drain(&agent).filter { $0.destination == reflexive }
        }
        let check = try STUNMessage.decode(try #require(checks.first).bytes)
        #expect(check.messageClass == .request)
        #expect(check.username == "\(peer.ufrag):\(agent.localCredentials.ufrag)")
        #expect(check.iceControlled != nil)
        #expect(check.verifyIntegrity(key: Array(peer.pwd.utf8)))
        #expect(agent.selectedRemote == nil)

        // Its success completes the nomination the peer already sent.
        let success = STUNMessage(.successResponse, transactionID: check.transactionID, attributes: [.xorMappedAddress(local)])
        agent.handleDatagram(success.encode(integrityKey: Array(peer.pwd.utf8), fingerprint: true),
                             from: reflexive, to: local, at: .milliseconds(120))
        #expect(agent.selectedRemote == reflexive)
        var events: [ICEEvent] = []
        while let event = agent.pollEvent() { events.append(event) }
        #expect(events.contains(.selectedPairChanged(remote: reflexive)))
        #expect(events.contains(.stateChanged(.connected)))

        // Checks keep being answered after selection, for as long as the agent lives.
        _ = drain(&agent)
        let (later, laterBytes) = request(agent, id: 2)
        agent.handleDatagram(laterBytes, from: reflexive, to: local, at: .seconds(100))
        let laterAnswer = try #require(drain(&agent).first { (try? STUNMessage.decode($0.bytes))?.transactionID == later })
        #expect(try STUNMessage.decode(laterAnswer.bytes).messageClass == .successResponse)
    }

    @Test func answersBeforeTheRemoteDescriptionArrives() throws {
        var agent = ICEAgent(role: .controlled, localAddresses: [local], random: SplitMix64(seed: 4))
        let (_, bytes) = request(agent, id: 3, username: "\(agent.localCredentials.ufrag):PeEr")
        agent.handleDatagram(bytes, from: signalled, to: local, at: .zero)
        let sent = drain(&agent)
        #expect(sent.count == 1)
        #expect(try STUNMessage.decode(sent[0].bytes).messageClass == .successResponse)
        #expect(agent.state == .new)
        // The triggered check waits for the peer's password, then goes out.
        agent.setRemote(ufrag: peer.ufrag, pwd: peer.pwd, candidates: [])
        agent.handleTimeout(at: .milliseconds(1))
        let check = try STUNMessage.decode(try #require(drain(&agent).first).bytes)
        #expect(check.messageClass == .request)
        #expect(check.verifyIntegrity(key: Array(peer.pwd.utf8)))
    }

    func errorCode(for bytes: [UInt8], from source: TransportAddress? = nil, agent: inout ICEAgent) throws -> (Int?, Bool) {
        agent.handleDatagram(bytes, from: source ?? signalled, to: local, at: .milliseconds(5))
        let answers = try drain(&agent).map { try STUNMessage.decode($0.bytes) }.filter { $0.messageClass != .request }
        let answer = try #require(answers.first)
        return (answer.errorCode?.code, answer.verifyIntegrity(key: Array(agent.localCredentials.pwd.utf8)))
    }

    @Test func rejectsBadRequestsWithTheRightErrors() throws {
        var agent = makeAgent()
        let ufrag = agent.localCredentials.ufrag
        // No USERNAME, or no MESSAGE-INTEGRITY: 400, unsigned.
        #expect(try errorCode(for: request(agent, id: 10, username: "").1, agent: &agent) == (400, false))
        #expect(try errorCode(for: request(agent, id: 11, key: "").1, agent: &agent) == (400, false))
        // Wrong ufrag on either side, or wrong password: 401, unsigned.
        #expect(try errorCode(for: request(agent, id: 12, username: "nope:\(peer.ufrag)").1, agent: &agent) == (401, false))
        #expect(try errorCode(for: request(agent, id: 13, username: "\(ufrag):other").1, agent: &agent) == (401, false))
        #expect(try errorCode(for: request(agent, id: 14, key: "wrongpasswordwrongpassword").1, agent: &agent) == (401, false))
        // An unknown comprehension-required attribute: 420, signed.
        let unknown = request(agent, id: 15, extra: [.unknown(type: 0x0030, value: [1, 2, 3, 4])]).1
        #expect(try errorCode(for: unknown, agent: &agent) == (420, true))
        // None of these taught the agent anything.
        #expect(agent.pairs.count == 1)
        #expect(agent.selectedRemote == nil)
    }

    @Test func aFloodOfSourcesIsAnsweredButBounded() throws {
        var agent = makeAgent()
        for index in 0..<300 {
            let source = try #require(TransportAddress(addressBytes: [198, 51, UInt8(index / 256), UInt8(index % 256)], port: 9))
            agent.handleDatagram(request(agent, id: UInt8(index % 256)).1, from: source, to: local, at: .milliseconds(Int64(index)))
            #expect(drain(&agent).contains { $0.destination == source })
        }
        #expect(agent.pairs.count <= agent.configuration.maxPairs)
        #expect(agent.remoteCandidates.count <= agent.configuration.maxPairs)
    }

    @Test func resolvesRoleConflictsByTieBreaker() throws {
        // Controlling with the larger tie-breaker: the peer must yield (487).
        var strong = makeAgent(role: .controlling, tieBreaker: .max)
        #expect(try errorCode(for: request(strong, id: 20).1, agent: &strong) == (487, true))
        #expect(strong.role == .controlling)

        // Controlling with the smaller one: yield, then answer.
        var weak = makeAgent(role: .controlling, tieBreaker: 1)
        #expect(try errorCode(for: request(weak, id: 21).1, agent: &weak) == (nil, true))
        #expect(weak.role == .controlled)

        // Controlled meeting another controlled: the larger tie-breaker takes control.
        let controlled: [STUNAttribute] = [.priority(1), .iceControlled(tieBreaker: peerTieBreaker)]
        var big = makeAgent(role: .controlled, tieBreaker: .max)
        #expect(try errorCode(for: request(big, id: 22, extra: controlled).1, agent: &big) == (nil, true))
        #expect(big.role == .controlling)
        var small = makeAgent(role: .controlled, tieBreaker: 1)
        #expect(try errorCode(for: request(small, id: 23, extra: controlled).1, agent: &small) == (487, true))
        #expect(small.role == .controlled)
    }

    @Test func ignoresForgedAndMalformedResponses() throws {
        var agent = makeAgent(role: .controlling)
        agent.handleTimeout(at: .zero)
        let check = try STUNMessage.decode(try #require(drain(&agent).first).bytes)
        // Signed with the wrong key: ignored, the check keeps retransmitting.
        let forged = STUNMessage(.successResponse, transactionID: check.transactionID, attributes: [.xorMappedAddress(local)])
        agent.handleDatagram(forged.encode(integrityKey: Array("forgedforgedforgedforged".utf8), fingerprint: true),
                             from: signalled, to: local, at: .milliseconds(10))
        #expect(agent.pairs[0].state == .inProgress)
        // Garbage and truncated messages are dropped without a trace.
        agent.handleDatagram([0, 1, 0, 4, 0x21, 0x12, 0xA4, 0x42], from: signalled, to: local, at: .milliseconds(11))
        agent.handleDatagram(Array(forged.encode().dropLast(2)), from: signalled, to: local, at: .milliseconds(12))
        #expect(drain(&agent).isEmpty)
        // A genuine answer from the wrong address fails the pair (RFC 8445 §7.2.5.2.1).
        let genuine = forged.encode(integrityKey: Array(peer.pwd.utf8), fingerprint: true)
        agent.handleDatagram(genuine, from: reflexive, to: local, at: .milliseconds(13))
        #expect(agent.pairs[0].state == .failed)
    }
}
