import Testing
@testable import Mesh

@Suite struct ICEAgentTests {
    static func address(_ host: String, _ port: UInt16) -> TransportAddress {
        TransportAddress(host: host, port: port) ?? TransportAddress(addressBytes: [0, 0, 0, 0], port: 0)!
    }
    let a1 = address("127.0.0.1", 50000)
    let a2 = address("10.0.0.1", 50000)
    let b1 = address("127.0.0.1", 50001)
    let b2 = address("10.0.0.2", 50001)

    func expectAgreement(_ network: ICETestNetwork, sourceLocation: SourceLocation = #_sourceLocation) {
        let (first, second) = (network.agents[0], network.agents[1])
        #expect([.connected, .completed].contains(first.state), sourceLocation: sourceLocation)
        #expect([.connected, .completed].contains(second.state), sourceLocation: sourceLocation)
        #expect(first.selectedRemote != nil, sourceLocation: sourceLocation)
        #expect(first.selectedRemote == second.selectedLocal, sourceLocation: sourceLocation)
        #expect(first.selectedLocal == second.selectedRemote, sourceLocation: sourceLocation)
    }

    @Test func randomCredentialsAreRFCCompliant() {
        for _ in 0..<20 {
            let credentials = ICEAgent.randomCredentials()
            #expect(credentials.isValid)
            #expect(credentials.ufrag.count >= 4)
            #expect(credentials.pwd.count >= 22)
        }
        #expect(ICEAgent.randomCredentials() != ICEAgent.randomCredentials())
        #expect(!ICECredentials(ufrag: "abc", pwd: String(repeating: "x", count: 22)).isValid)
        #expect(!ICECredentials(ufrag: "abcd", pwd: String(repeating: "x", count: 21) + "-").isValid)
    }

    @Test func localCandidatesAreHostUDP() throws {
        let agent = ICEAgent(role: .controlled, localAddresses: [a1, a2], random: SplitMix64(seed: 1))
        let candidates = agent.localCandidates
        #expect(candidates.count == 2)
        #expect(candidates[0].kind == .host)
        #expect(candidates[0].priority > candidates[1].priority)
        #expect(try ICECandidate(parsing: candidates[0].sdpValue).transportAddress == a1)
        #expect(agent.localCredentials.isValid)
    }

    @Test func connectsOverAPerfectLink() {
        var network = ICETestNetwork.connected(controllingAddresses: [a1], controlledAddresses: [b1])
        network.run(for: .seconds(2))
        expectAgreement(network)
        #expect(network.agents[0].selectedRemote == b1)
        #expect(network.states(0).prefix(2) == [.checking, .connected])
        #expect(network.states(1).prefix(2) == [.checking, .connected])
        #expect(network.events[0].contains { $0.event == .selectedPairChanged(remote: b1) })
        #expect(network.events[1].contains { $0.event == .selectedPairChanged(remote: a1) })
        #expect((network.firstTime(0, of: .connected) ?? .seconds(99)) < .milliseconds(100))
        #expect((network.firstTime(1, of: .connected) ?? .seconds(99)) < .milliseconds(200))
    }

    /// The nomination does not wait for the next pacing slot (Ta, 50 ms): with one pair and 1 ms each way,
    /// both sides are connected after the check and the nomination, two round trips and a little.
    @Test func theNominationGoesOutAsSoonAsItsPairAnswered() {
        var network = ICETestNetwork.connected(controllingAddresses: [a1], controlledAddresses: [b1])
        network.run(for: .seconds(1))
        expectAgreement(network)
        let controlling = network.firstTime(0, of: .connected) ?? .seconds(99)
        let controlled = network.firstTime(1, of: .connected) ?? .seconds(99)
        #expect(controlling <= .milliseconds(10) && controlled <= .milliseconds(10),
                "connected at \(controlling) (controlling) and \(controlled) (controlled)")
    }

    @Test func choosesTheSamePairAmongSeveral() {
        var network = ICETestNetwork.connected(controllingAddresses: [a1, a2], controlledAddresses: [b1, b2])
        network.run(for: .seconds(3))
        expectAgreement(network)
        #expect(network.agents[0].pairs.count == 4)
    }

    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func connectsOverALossyShufflingLink(seed: UInt64) {
        var network = ICETestNetwork.connected(controllingAddresses: [a1, a2], controlledAddresses: [b1, b2], seed: seed)
        network.loss = 0.3
        network.delayMilliseconds = 5...150
        network.run(for: .seconds(20))
        expectAgreement(network)
        // Consent keeps it up through the loss for another minute.
        network.run(for: .seconds(60))
        expectAgreement(network)
        #expect(!network.states(0).contains(.failed))
        #expect(!network.states(1).contains(.failed))
    }

    @Test func staysConnectedWhileConsentIsAnswered() {
        var network = ICETestNetwork.connected(controllingAddresses: [a1], controlledAddresses: [b1])
        network.run(for: .seconds(180))
        expectAgreement(network)
        #expect(!network.states(0).contains(.disconnected))
        #expect(!network.states(1).contains(.disconnected))
        // Consent checks every 4–6 s in each direction, plus a handful of connectivity checks.
        #expect((60...100).contains(network.delivered / 2), "\(network.delivered) datagrams in 3 minutes")
    }

    @Test func consentChecksAreRandomizedBetweenFourAndSixSeconds() throws {
        var network = ICETestNetwork.connected(controllingAddresses: [a1], controlledAddresses: [b1])
        network.run(for: .seconds(120))
        let connectedAt = try #require(network.firstTime(0, of: .connected))
        let requestTimes = network.sent
            .filter { $0.from == 0 && $0.at > connectedAt }
            .filter { (try? STUNMessage.decode($0.datagram.bytes))?.messageClass == .request }
            .map(\.at)
        #expect(requestTimes.count >= 20)
        let gaps = zip(requestTimes.dropFirst(), requestTimes).map { $0 - $1 }
        for gap in gaps { #expect(gap >= .seconds(4) && gap <= .seconds(6), "\(gap)") }
        #expect(Set(gaps).count > gaps.count / 2)
    }

    @Test func consentIsLostAfterThirtySecondsOfSilence() throws {
        var network = ICETestNetwork.connected(controllingAddresses: [a1], controlledAddresses: [b1])
        network.run(for: .seconds(5))
        expectAgreement(network)
        network.silent = true
        let silenceStart = network.now
        network.run(for: .seconds(20))
        for index in 0..<2 {
            #expect(network.agents[index].state == .disconnected)
            #expect(network.agents[index].selectedRemote != nil)
        }
        network.run(for: .seconds(12))
        for index in 0..<2 {
            #expect(network.agents[index].state == .failed)
            #expect(network.agents[index].selectedRemote == nil)
            let failedAt = try #require(network.firstTime(index, of: .failed))
            // The last consent response came at most one consent interval before the silence began.
            #expect(failedAt - silenceStart <= .seconds(30))
            #expect(failedAt - silenceStart >= .seconds(24))
        }
        // Consent lost means nothing more is sent.
        network.silent = false
        let before = network.delivered
        network.run(for: .seconds(30))
        #expect(network.delivered == before)
        #expect(network.agents[0].nextDeadline == nil || network.agents[0].state == .failed)
    }

    @Test func recoversFromAShortOutageWithoutFailing() {
        var network = ICETestNetwork.connected(controllingAddresses: [a1], controlledAddresses: [b1])
        network.run(for: .seconds(5))
        network.silent = true
        network.run(for: .seconds(15))
        #expect(network.agents[0].state == .disconnected)
        network.silent = false
        network.run(for: .seconds(10))
        expectAgreement(network)
        #expect(!network.states(0).contains(.failed))
    }

    @Test func wrongPasswordNeverConnects() {
        var network = ICETestNetwork.connected(controllingAddresses: [a1], controlledAddresses: [b1])
        let peer = network.agents[1].localCredentials
        network.agents[0].setRemote(ufrag: peer.ufrag, pwd: peer.pwd + "x", candidates: [])
        network.run(for: .seconds(30))
        #expect(network.agents[0].state == .failed)
        #expect(network.agents[0].selectedRemote == nil)
        #expect(network.agents[1].selectedRemote == nil)
        #expect(!network.states(0).contains(.connected))
        #expect(!network.states(1).contains(.connected))
    }

    @Test func roleConflictIsResolved() {
        var network = ICETestNetwork.connected(
            controllingAddresses: [a1], controlledAddresses: [b1], roles: (.controlling, .controlling))
        network.run(for: .seconds(5))
        expectAgreement(network)
        #expect(network.agents[0].role != network.agents[1].role)
    }

    @Test func bothControlledIsResolvedToo() {
        var network = ICETestNetwork.connected(
            controllingAddresses: [a1], controlledAddresses: [b1], roles: (.controlled, .controlled))
        network.run(for: .seconds(5))
        expectAgreement(network)
        #expect(network.agents[0].role != network.agents[1].role)
    }

    @Test func unusableRemoteCandidatesAreSkipped() throws {
        var agent = ICEAgent(role: .controlling, localAddresses: [a1], random: SplitMix64(seed: 3))
        let lines = [
            "candidate:2113270380 1 udp 2122260223 127.0.0.1 59009 typ host generation 0 network-id 1 network-cost 50",
            "candidate:2204051192 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 network-cost 50",
            "candidate:1 1 udp 2122252543 0a1b2c3d-4e5f.local 54321 typ host",
            "candidate:2 2 udp 2122260222 127.0.0.1 59010 typ host",
            "candidate:3 1 udp 2122260223 ::1 59011 typ host",
        ]
        agent.setRemote(ufrag: "abcd", pwd: "0123456789012345678901", candidates: try lines.map(ICECandidate.init(parsing:)))
        #expect(agent.pairs.map(\.remote) == [Self.address("127.0.0.1", 59009)])
        #expect(agent.state == .checking)
        #expect(agent.nextDeadline?.at == .zero)
    }

    @Test func closeStopsEverything() {
        var network = ICETestNetwork.connected(controllingAddresses: [a1], controlledAddresses: [b1])
        network.run(for: .seconds(2))
        network.agents[0].close()
        #expect(network.agents[0].pollEvent() == .stateChanged(.closed))
        #expect(network.agents[0].nextDeadline == nil)
        #expect(network.agents[0].selectedRemote == nil)
        network.agents[1].close()
        let before = network.delivered
        network.run(for: .seconds(40))
        #expect(network.delivered == before)
    }

    @Test func sameSeedsGiveTheSameRun() {
        func transcript() -> [String] {
            var network = ICETestNetwork.connected(controllingAddresses: [a1, a2], controlledAddresses: [b1, b2], seed: 42)
            network.loss = 0.2
            network.delayMilliseconds = 1...80
            network.run(for: .seconds(20))
            return network.events.flatMap { $0.map { "\($0.at) \($0.event)" } }
        }
        #expect(transcript() == transcript())
    }
}
