import Testing

@testable import Mesh

@Suite struct SCTPAssociationTests {
    typealias Link = VirtualLink<SCTPAssociation, SCTPAssociation>

    private func connectedLink(loss: Double = 0, seed: UInt64 = 1) -> Link {
        var link = Link(a: SCTPAssociation(role: .client), b: SCTPAssociation(role: .server), loss: loss, seed: seed)
        link.a.start(at: link.now)
        link.b.start(at: link.now)
        while link.a.state != .established || link.b.state != .established {
            guard link.step(), link.now < .seconds(300) else { break }
        }
        return link
    }

    private func drain(_ association: inout SCTPAssociation) -> [SCTPEvent] {
        var events: [SCTPEvent] = []
        while let event = association.pollEvent() { events.append(event) }
        return events
    }

    @Test func handshakeOnACleanLink() {
        var link = connectedLink()
        #expect(link.a.state == .established)
        #expect(link.b.state == .established)
        #expect(drain(&link.a) == [.connected])
        #expect(drain(&link.b) == [.connected])
        #expect(link.now <= .milliseconds(200))
    }

    @Test func handshakeSurvivesLoss() {
        for seed in 1...20 as ClosedRange<UInt64> {
            // Each lost handshake packet doubles the wait, so a bad run takes a minute, but it gets there.
            let link = connectedLink(loss: 0.3, seed: seed)
            #expect(link.a.state == .established, "seed \(seed)")
            #expect(link.b.state == .established, "seed \(seed)")
        }
    }

    /// Both sides send INIT, as browsers do: the collision resolves into one association.
    @Test func simultaneousOpen() {
        var link = Link(a: SCTPAssociation(role: .client), b: SCTPAssociation(role: .client), loss: 0, seed: 3)
        link.a.start(at: link.now)
        link.b.start(at: link.now)
        for _ in 0..<50 where link.a.state != .established || link.b.state != .established { _ = link.step() }
        #expect(link.a.state == .established)
        #expect(link.b.state == .established)
        try? link.a.send(streamID: 1, ppid: 51, bytes: Array("hi".utf8))
        for _ in 0..<20 { _ = link.step() }
        #expect(drain(&link.b).contains(.message(streamID: 1, ppid: 51, bytes: Array("hi".utf8))))
    }

    @Test func thousandMessagesInOrderExactlyOnceThroughLoss() throws {
        var link = connectedLink(loss: 0.05, seed: 42)
        _ = drain(&link.a)
        _ = drain(&link.b)
        var sizes = SplitMix64(seed: 7)
        var sent: [[UInt8]] = []
        var received: [[UInt8]] = []
        while received.count < 1000 {
            while sent.count < 1000, link.a.bufferedAmount < 256 * 1024 {
                let index = sent.count
                let size = Int.random(in: 1...65536, using: &sizes)
                var message = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
                for (offset, byte) in withUnsafeBytes(of: UInt32(index).bigEndian, Array.init).enumerated()
                where offset < size {
                    message[offset] = byte
                }
                try link.a.send(streamID: 3, ppid: 53, bytes: message)
                sent.append(message)
            }
            guard link.step(), link.now < .seconds(3600) else { break }
            while let event = link.b.pollEvent() {
                if case .message(let stream, let ppid, let bytes) = event {
                    #expect(stream == 3 && ppid == 53)
                    received.append(bytes)
                }
            }
        }
        #expect(received.count == 1000)
        #expect(received == sent)
        #expect(link.largestPacket <= 1200)

        link.a.shutdown()
        while link.a.state != .closed || link.b.state != .closed {
            guard link.step(), link.now < .seconds(4000) else { break }
        }
        #expect(drain(&link.a) == [.closed(reason: "shutdown")])
        #expect(drain(&link.b) == [.closed(reason: "shutdown")])
    }

    @Test func messagesLargerThanTheLimitAreRefused() {
        var association = SCTPAssociation(role: .client, maxMessageSize: 262_144)
        #expect(throws: SCTPSendError.self) {
            try association.send(streamID: 0, ppid: 53, bytes: [UInt8](repeating: 1, count: 262_145))
        }
        #expect(throws: SCTPSendError.self) { try association.send(streamID: 0, ppid: 53, bytes: []) }
        #expect(throws: Never.self) {
            try association.send(streamID: 0, ppid: 53, bytes: [UInt8](repeating: 1, count: 262_144))
        }
    }

    @Test func maximumSizeMessageIsReassembled() throws {
        var link = connectedLink(loss: 0.05, seed: 9)
        _ = drain(&link.b)
        let message = (0..<262_144).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try link.a.send(streamID: 0, ppid: 53, bytes: message)
        var events: [SCTPEvent] = []
        while events.isEmpty, link.step(), link.now < .seconds(600) { events += drain(&link.b) }
        #expect(events == [.message(streamID: 0, ppid: 53, bytes: message)])
    }

    @Test func malformedPacketsAreDroppedWithAReason() throws {
        var link = connectedLink()
        _ = drain(&link.b)
        try link.a.send(streamID: 0, ppid: 51, bytes: Array("one".utf8))
        let transmitted = link.a.pollTransmit()
        let packet = try #require(transmitted)

        var corrupted = packet
        corrupted[corrupted.count - 1] ^= 0xff
        link.b.handlePacket(corrupted, at: link.now)
        #expect(link.b.lastDropReason?.contains("checksum") == true)

        var parsed = try SCTPPacket.parse(packet)
        parsed.verificationTag &+= 1
        link.b.handlePacket(parsed.serialize(), at: link.now)
        #expect(link.b.lastDropReason?.contains("verification tag") == true)

        link.b.handlePacket([1, 2, 3], at: link.now)
        #expect(link.b.droppedPackets == 3)
        #expect(drain(&link.b).isEmpty)

        link.b.handlePacket(packet, at: link.now)
        try link.a.send(streamID: 0, ppid: 51, bytes: Array("two".utf8))
        for _ in 0..<10 { _ = link.step() }
        #expect(drain(&link.b) == [
            .message(streamID: 0, ppid: 51, bytes: Array("one".utf8)),
            .message(streamID: 0, ppid: 51, bytes: Array("two".utf8)),
        ])
        #expect(link.b.state == .established)
    }

    @Test func unknownChunksFollowTheirTypeBits() throws {
        var link = connectedLink()
        _ = drain(&link.b)
        let data = SCTPChunk.payloadData(
            ChunkPayloadData(tsn: 0, streamIdentifier: 0, streamSequenceNumber: 0, payloadProtocolIdentifier: 51,
                             userData: [0x41]))
        // Find the TSN the client would use by letting it send one message first.
        try link.a.send(streamID: 0, ppid: 51, bytes: [0x40])
        let transmitted = link.a.pollTransmit()
        let first = try SCTPPacket.parse(try #require(transmitted))
        guard case .payloadData(let sent) = first.chunks.last else { Issue.record("no DATA"); return }
        link.b.handlePacket(first.serialize(), at: link.now)
        guard case .payloadData(var next) = data else { return }
        next.tsn = sent.tsn &+ 1
        next.streamSequenceNumber = 1

        // 0b10: skip and carry on; the DATA after it is delivered.
        var skip = first
        skip.chunks = [.unknown(ChunkUnknown(type: 0x80 | 0x21, flags: 0, value: [])), .payloadData(next)]
        link.b.handlePacket(skip.serialize(), at: link.now)
        #expect(drain(&link.b) == [
            .message(streamID: 0, ppid: 51, bytes: [0x40]), .message(streamID: 0, ppid: 51, bytes: [0x41]),
        ])

        // 0b01: stop processing the packet, report it in an ERROR.
        next.tsn &+= 1
        next.streamSequenceNumber = 2
        var stop = first
        stop.chunks = [.unknown(ChunkUnknown(type: 0x40 | 0x21, flags: 0, value: [])), .payloadData(next)]
        link.b.handlePacket(stop.serialize(), at: link.now)
        #expect(drain(&link.b).isEmpty)
        var reported = false
        while let bytes = link.b.pollTransmit() {
            let packet = try SCTPPacket.parse(bytes)
            reported = reported || packet.chunks.contains { if case .error = $0 { true } else { false } }
        }
        #expect(reported)
    }

    @Test func heartbeatIsAnswered() throws {
        var link = connectedLink()
        try link.a.send(streamID: 0, ppid: 51, bytes: [1])
        let transmitted = link.a.pollTransmit()
        var probe = try SCTPPacket.parse(try #require(transmitted))
        probe.chunks = [.heartbeat(ChunkHeartbeat(info: [1, 2, 3, 4]))]
        link.b.handlePacket(probe.serialize(), at: link.now)
        var answered = false
        while let bytes = link.b.pollTransmit() {
            let packet = try SCTPPacket.parse(bytes)
            answered = answered || packet.chunks.contains(.heartbeatAck(ChunkHeartbeatAck(info: [1, 2, 3, 4])))
        }
        #expect(answered)
    }

    @Test func abortClosesBothSides() {
        var link = connectedLink()
        _ = drain(&link.a)
        _ = drain(&link.b)
        link.a.abort(reason: "test over")
        _ = link.step()
        #expect(drain(&link.a) == [.closed(reason: "test over")])
        #expect(drain(&link.b) == [.closed(reason: "aborted by peer: cause 12: test over")])
        #expect(link.b.nextDeadline == nil)
    }

    @Test func streamResetIsReportedAfterQueuedData() throws {
        var link = connectedLink(loss: 0.1, seed: 5)
        _ = drain(&link.b)
        try link.a.send(streamID: 4, ppid: 51, bytes: Array("last words".utf8))
        link.a.resetStreams([4])
        #expect(throws: SCTPSendError.self) { try link.a.send(streamID: 4, ppid: 51, bytes: [1]) }
        var events: [SCTPEvent] = []
        while events.count < 2, link.step(), link.now < .seconds(60) { events += drain(&link.b) }
        #expect(events == [.message(streamID: 4, ppid: 51, bytes: Array("last words".utf8)), .streamReset([4])])
        // After the peer's response the stream starts again at sequence number 0.
        for _ in 0..<100 { _ = link.step() }
        try link.a.send(streamID: 4, ppid: 51, bytes: Array("again".utf8))
        events = []
        while events.isEmpty, link.step(), link.now < .seconds(120) { events += drain(&link.b) }
        #expect(events == [.message(streamID: 4, ppid: 51, bytes: Array("again".utf8))])
    }
}

extension SCTPAssociationTests {
    /// If the last packet of a graceful close is lost, the closed side still answers the
    /// retransmitted SHUTDOWN ACK, so the other side closes cleanly rather than aborting.
    @Test func lostShutdownCompleteIsAnsweredAfterClosing() throws {
        let link = connectedLink()
        var a = link.a
        var b = link.b
        _ = drain(&a)
        _ = drain(&b)
        let now = link.now
        a.shutdown()
        while let packet = a.pollTransmit() { b.handlePacket(packet, at: now) }
        while let packet = b.pollTransmit() { a.handlePacket(packet, at: now) }
        #expect(a.state == .closed)
        #expect(a.pollTransmit() != nil, "the SHUTDOWN COMPLETE, lost here")
        let deadline = try #require(b.nextDeadline)
        b.handleTimeout(at: deadline.at)
        while let packet = b.pollTransmit() { a.handlePacket(packet, at: deadline.at) }
        while let packet = a.pollTransmit() { b.handlePacket(packet, at: deadline.at) }
        #expect(drain(&a) == [.closed(reason: "shutdown")])
        #expect(drain(&b) == [.closed(reason: "shutdown")])
    }
}
