import Mesh

/// Our SCTP association with data channels (the server side, as with a browser) after a real handshake with
/// a client association, then driven by a script: forged DATA, SACK, RE-CONFIG, FORWARD TSN and raw chunks
/// from the peer (with its verification tag and sequence numbers near the live ones, so they get past the
/// first checks), real traffic both ways, and time passing.
enum SCTPAssociationTarget {
    static let target = FuzzTarget(name: "sctp-association", run: run, seeds: seeds)
    static let maximumSteps = 200

    struct Link {
        var ours = DataChannels(association: SCTPAssociation(role: .server), dtlsRole: .server)
        var peer = SCTPAssociation(role: .client)
        var now = Timestamp.zero
        /// The tag the peer's packets carry (our initiate tag), learned from its packets.
        var peerTag: UInt32 = 0
        var peerInitialTSN: UInt32 = 0
        var ourInitialTSN: UInt32 = 0

        /// Delivers what each side has to send, `drop` deciding per packet from the peer's side of the script.
        mutating func exchange(dropping drop: (inout FuzzInput) -> Bool = { _ in false }, input: inout FuzzInput) {
            for _ in 0..<8 {
                var moved = false
                while let bytes = peer.pollTransmit() {
                    moved = true
                    if let packet = try? SCTPPacket.parse(bytes) {
                        peerTag = packet.verificationTag
                        for case .initiation(let chunk) in packet.chunks { peerInitialTSN = chunk.fields.initialTSN }
                    }
                    if !drop(&input) { ours.handlePacket(bytes, at: now) }
                }
                while let bytes = ours.pollTransmit() {
                    moved = true
                    if let packet = try? SCTPPacket.parse(bytes) {
                        for case .initiationAck(let chunk) in packet.chunks { ourInitialTSN = chunk.fields.initialTSN }
                    }
                    if !drop(&input) { peer.handlePacket(bytes, at: now) }
                }
                while ours.pollEvent() != nil {}
                while peer.pollEvent() != nil {}
                if !moved { return }
            }
        }

        /// A packet from the peer carrying `chunks`, with a correct checksum.
        mutating func forge(_ chunks: [SCTPChunk]) {
            let packet = SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: peerTag, chunks: chunks)
            ours.handlePacket(packet.serialize(), at: now)
        }
    }

    static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        var link = Link()
        link.ours.start(at: link.now)
        link.peer.start(at: link.now)
        link.exchange(input: &input)
        RoundTrip.require(link.ours.association.state == .established, "SCTP: the handshake did not complete")

        for _ in 0..<maximumSteps where !input.isAtEnd {
            let delta = UInt32(bitPattern: Int32(Int8(bitPattern: input.byte())))
            switch input.byte() % 9 {
            case 0:
                // Raw chunks behind a valid common header.
                let header = SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: link.peerTag,
                                        chunks: [.cookieAck(ChunkCookieAck())]).serialize().prefix(12)
                let raw = Array(header) + input.shortBytes()
                if let packet = try? SCTPPacket.parse(raw, verifyChecksum: false) {
                    link.ours.handlePacket(packet.serialize(), at: link.now)
                } else {
                    link.ours.handlePacket(raw, at: link.now)
                }
            case 1:
                let ppids: [UInt32] = [50, 51, 53, 56, 57, 0]
                let flags = input.byte()
                link.forge([.payloadData(ChunkPayloadData(
                    tsn: link.peerInitialTSN &+ delta, streamIdentifier: UInt16(input.byte() % 8),
                    streamSequenceNumber: UInt16(input.byte() % 8),
                    payloadProtocolIdentifier: ppids[Int(input.byte()) % ppids.count], userData: input.shortBytes(),
                    unordered: flags & 1 != 0, beginning: flags & 2 != 0, ending: flags & 4 != 0,
                    immediateAck: flags & 8 != 0))])
            case 2:
                var gaps: [ChunkSelectiveAck.GapAckBlock] = []
                for _ in 0..<(input.byte() % 4) {
                    gaps.append(ChunkSelectiveAck.GapAckBlock(start: UInt16(input.byte()), end: UInt16(input.byte())))
                }
                link.forge([.selectiveAck(ChunkSelectiveAck(
                    cumulativeTSNAck: link.ourInitialTSN &+ delta, advertisedReceiverWindowCredit: input.uint32(),
                    gapAckBlocks: gaps, duplicateTSNs: input.bool() ? [link.ourInitialTSN] : []))])
            case 3:
                let streams = (0..<(input.byte() % 6)).map { _ in UInt16(input.byte() % 8) }
                let request = link.peerInitialTSN &+ delta
                let parameter: SCTPReconfigParameter = switch input.byte() % 3 {
                case 0: .outgoingSSNResetRequest(requestSequenceNumber: request, responseSequenceNumber: link.ourInitialTSN &+ delta,
                                                 senderLastTSN: link.peerInitialTSN &+ UInt32(input.byte()), streams: streams)
                case 1: .incomingSSNResetRequest(requestSequenceNumber: request, streams: streams)
                default: .response(responseSequenceNumber: link.ourInitialTSN &+ delta,
                                   result: SCTPReconfigResult(rawValue: UInt32(input.byte() % 8)))
                }
                link.forge([.reconfig(ChunkReconfig(parameters: [parameter]))])
            case 4:
                let skipped = (0..<(input.byte() % 3)).map { _ in
                    ChunkForwardTSN.SkippedStream(streamIdentifier: UInt16(input.byte() % 8),
                                                  streamSequenceNumber: UInt16(input.byte() % 8))
                }
                link.forge([.forwardTSN(ChunkForwardTSN(newCumulativeTSN: link.peerInitialTSN &+ delta, streams: skipped))])
            case 5:
                link.now = link.now + .milliseconds(Int64(input.uint16()))
                link.ours.handleTimeout(at: link.now)
                link.peer.handleTimeout(at: link.now)
            case 6:
                let stream = UInt16(input.byte() % 8)
                if input.bool() {
                    _ = try? link.ours.open(label: String(decoding: input.shortBytes(), as: UTF8.self))
                } else {
                    _ = try? link.ours.send(.text(String(decoding: input.shortBytes(), as: UTF8.self)), on: stream)
                }
            case 7:
                let size = Int(input.uint16())
                _ = try? link.peer.send(streamID: UInt16(input.byte() % 8), ppid: 53,
                                        bytes: Array(repeating: input.byte(), count: size), ordered: input.bool())
            default:
                link.ours.close(UInt16(input.byte() % 8))
            }
            link.exchange(dropping: { $0.byte() & 0x0F == 0 }, input: &input)
        }
    }

    static func seeds() -> [[UInt8]] {
        var open = FuzzScript()
        // DATA_CHANNEL_OPEN on stream 0 from the peer at its first TSN, then a string on it.
        open.byte(0); open.byte(1); open.byte(0x06); open.byte(0); open.byte(0); open.byte(0)
        open.shortBytes(DataChannelOpen(label: "channel").serialize())
        open.byte(1); open.byte(1); open.byte(0x06); open.byte(0); open.byte(1); open.byte(1)
        open.shortBytes(Array("hello".utf8))
        var traffic = FuzzScript()
        // Our channel, a message on it, the peer sending 3000 bytes, time passing, a stream reset.
        traffic.byte(0); traffic.byte(6); traffic.byte(1); traffic.bool(true); traffic.shortBytes(Array("chat".utf8))
        traffic.byte(0); traffic.byte(7); traffic.uint16(3000); traffic.byte(1); traffic.byte(0x41); traffic.bool(true)
        traffic.byte(0); traffic.byte(5); traffic.uint16(1000)
        traffic.byte(0); traffic.byte(3); traffic.byte(2); traffic.byte(0); traffic.byte(1); traffic.byte(0); traffic.byte(0)
        var acks = FuzzScript()
        acks.byte(1); acks.byte(2); acks.byte(2); acks.byte(2); acks.byte(4); acks.byte(4); acks.byte(6)
        acks.uint32(65536); acks.bool(true)
        acks.byte(3); acks.byte(4); acks.byte(1); acks.byte(2)
        acks.byte(0xFF); acks.byte(5); acks.uint16(30000)
        return [open.bytes, traffic.bytes, acks.bytes]
    }
}
