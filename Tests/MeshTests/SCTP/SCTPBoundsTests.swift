import Testing

@testable import Mesh

/// What an authenticated but hostile SCTP peer controls stays bounded: no trap, no stall, no unbounded state.
@Suite struct SCTPBoundsTests {
    typealias Link = VirtualLink<SCTPAssociation, SCTPAssociation>

    private func connectedLink() -> Link {
        var link = Link(a: SCTPAssociation(role: .client), b: SCTPAssociation(role: .server), loss: 0, seed: 3)
        link.a.start(at: link.now)
        link.b.start(at: link.now)
        while link.a.state != .established || link.b.state != .established {
            guard link.step(), link.now < .seconds(60) else { break }
        }
        return link
    }

    /// One real packet from `a` to `b`, to reuse its ports and tag for crafted chunks; the TSN of its DATA
    /// (a's first, which is also its first RE-CONFIG request sequence number).
    private func template(_ link: inout Link) throws -> (packet: SCTPPacket, firstTSN: UInt32) {
        try link.a.send(streamID: 0, ppid: 51, bytes: [1])
        let transmitted = link.a.pollTransmit()
        let packet = try SCTPPacket.parse(try #require(transmitted))
        link.b.handlePacket(packet.serialize(), at: link.now)
        guard case .payloadData(let data) = packet.chunks.last else { throw ParseError("no DATA in the first packet") }
        return (packet, data.tsn)
    }

    private func fragment(_ tsn: UInt32, stream: UInt16 = 1, ssn: UInt16 = 0, begin: Bool, end: Bool,
                          bytes: [UInt8]) -> ChunkPayloadData {
        ChunkPayloadData(tsn: tsn, streamIdentifier: stream, streamSequenceNumber: ssn, payloadProtocolIdentifier: 51,
                         userData: bytes, beginning: begin, ending: end)
    }

    @Test func aPeerAskingUsToResetFortyThousandStreamsGetsRequestsThatEachFitAPacket() throws {
        var link = connectedLink()
        var (packet, sequence) = try template(&link)
        // Five incoming SSN reset requests of 8,000 streams each: one DTLS record holds about that many.
        for batch in 0..<5 {
            let streams = (0..<8_000).map { UInt16(batch * 8_000 + $0) }
            packet.chunks = [.reconfig(ChunkReconfig(parameters: [
                .incomingSSNResetRequest(requestSequenceNumber: sequence, streams: streams)]))]
            sequence &+= 1
            link.b.handlePacket(packet.serialize(), at: link.now)
        }
        var reset: Set<UInt16> = []
        while reset.count < 40_000, link.step(), link.now < .seconds(600) {
            while let event = link.a.pollEvent() {
                if case .streamReset(let streams) = event { reset.formUnion(streams) }
            }
        }
        #expect(reset.count == 40_000)
        #expect(link.b.state == .established && link.a.state == .established)
        #expect(link.largestPacket <= link.b.configuration.maxPacketSize)
    }

    @Test func aHeartbeatTooLargeToAnswerInOnePacketIsRefusedAndDoesNotBlockTheNext() throws {
        var link = connectedLink()
        var (packet, _) = try template(&link)
        while link.b.pollTransmit() != nil {}
        packet.chunks = [.heartbeat(ChunkHeartbeat(info: Array(repeating: 7, count: 4_000)))]
        link.b.handlePacket(packet.serialize(), at: link.now)
        packet.chunks = [.heartbeat(ChunkHeartbeat(info: [1, 2, 3, 4]))]
        link.b.handlePacket(packet.serialize(), at: link.now)
        var answered = false
        while let bytes = link.b.pollTransmit() {
            #expect(bytes.count <= link.b.configuration.maxPacketSize)
            let sent = try SCTPPacket.parse(bytes)
            answered = answered || sent.chunks.contains(.heartbeatAck(ChunkHeartbeatAck(info: [1, 2, 3, 4])))
        }
        #expect(answered)
        #expect(link.b.refusedControlChunks == 1)
        #expect(link.b.state == .established)
    }

    @Test func reassemblyCopiesEachFragmentOnceWhateverTheArrivalOrder() {
        for reversed in [false, true] {
            var queue = InboundQueue(peerInitialTSN: 1, capacity: 64 << 20, maxMessageSize: 1 << 20)
            let count = 20_000
            var tsns = Array(1...UInt32(count))
            if reversed { tsns.reverse() }
            for tsn in tsns {
                let chunk = fragment(tsn, begin: tsn == 1, end: tsn == UInt32(count), bytes: [UInt8(truncatingIfNeeded: tsn)])
                #expect(queue.receive(chunk) == .accepted)
            }
            let delivered = queue.takeDelivered()
            #expect(delivered.count == 1)
            #expect(delivered.first?.bytes == (1...count).map { UInt8(truncatingIfNeeded: $0) })
            #expect(queue.fragmentCopies == count)
            #expect(queue.bufferedBytes == 0)
        }
    }

    @Test func messagesHeldBehindAResetStreamReleaseTheirBytes() {
        var queue = InboundQueue(peerInitialTSN: 1, capacity: 1 << 20, maxMessageSize: 1 << 16)
        // Sequence numbers 1 and 2 arrive, 0 never does: both wait.
        #expect(queue.receive(fragment(1, stream: 3, ssn: 1, begin: true, end: true, bytes: Array(repeating: 1, count: 500))) == .accepted)
        #expect(queue.receive(fragment(2, stream: 3, ssn: 2, begin: true, end: true, bytes: Array(repeating: 2, count: 500))) == .accepted)
        #expect(queue.bufferedBytes == 1000)
        queue.resetStreams([3])
        #expect(queue.bufferedBytes == 0)
        #expect(queue.advertisedWindow == 1 << 20)
        #expect(queue.streamsWithState == 0)
    }

    @Test func tinyFragmentsAndManyStreamsAreBoundedByTheWindow() {
        let capacity = 64 << 10
        var queue = InboundQueue(peerInitialTSN: 1, capacity: capacity, maxMessageSize: 1 << 16)
        // TSN 1 never arrives: one-byte fragments above it are held until the window is spent.
        var accepted = 0
        for tsn in UInt32(2)...UInt32(100_000) where queue.receive(fragment(tsn, begin: false, end: false, bytes: [0])) == .accepted {
            accepted += 1
        }
        #expect(accepted == capacity / InboundQueue.minimumCharge)
        #expect(queue.bufferedBytes <= capacity)

        // Complete messages on thousands of streams, each waiting for its sequence number 0.
        var streams = InboundQueue(peerInitialTSN: 1, capacity: 1 << 30, maxMessageSize: 1 << 16)
        for id in 0..<5_000 {
            _ = streams.receive(fragment(UInt32(id + 1), stream: UInt16(id), ssn: 1, begin: true, end: true, bytes: [1]))
        }
        #expect(streams.streamsWithState == InboundQueue.maximumStreams)
        #expect(streams.takeRefusals().count == 5_000 - InboundQueue.maximumStreams)
    }
}
