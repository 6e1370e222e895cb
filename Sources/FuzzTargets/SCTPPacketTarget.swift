import Mesh

/// SCTP packets (RFC 4960, 3758, 6525) with every chunk and INIT/RE-CONFIG/error-cause parameter, as they
/// come out of DTLS. The checksum is not checked here (the fuzzer could not pass it); re-serialized packets
/// carry a correct one and must parse, checksum verified, to the same packet.
enum SCTPPacketTarget {
    static let target = FuzzTarget(name: "sctp", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        _ = try? SCTPPacket.parse(bytes)
        guard let packet = try? SCTPPacket.parse(bytes, verifyChecksum: false) else { return }
        for chunk in packet.chunks { _ = chunk.body.flags }
        RoundTrip.require(packet, try? SCTPPacket.parse(packet.serialize()), "SCTP")
    }

    static func seeds() -> [[UInt8]] {
        func packet(_ tag: UInt32, _ chunks: [SCTPChunk]) -> [UInt8] {
            SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: tag, chunks: chunks).serialize()
        }
        let fields = SCTPInitFields(
            initiateTag: 0xA1B2_C3D4, advertisedReceiverWindowCredit: 1_048_576, outboundStreams: 1024,
            inboundStreams: 1024, initialTSN: 0xFFFF_FFF0,
            parameters: [.supportedExtensions([130, 192]), .forwardTSNSupported, .unknown(type: 0x8001, value: [1, 2])])
        var withCookie = fields
        withCookie.parameters.append(.stateCookie(Array(0..<32)))
        let open = DataChannelOpen(label: "channel").serialize()
        return [
            packet(0, [.initiation(ChunkInit(fields))]),
            packet(0xA1B2_C3D4, [.initiationAck(ChunkInitAck(withCookie))]),
            packet(1, [.cookieEcho(ChunkCookieEcho(cookie: Array(0..<32))), .cookieAck(ChunkCookieAck())]),
            packet(1, [.payloadData(ChunkPayloadData(
                tsn: 0xFFFF_FFFF, streamIdentifier: 1, streamSequenceNumber: 0, payloadProtocolIdentifier: 50,
                userData: open)),
                       .payloadData(ChunkPayloadData(
                tsn: 0, streamIdentifier: 1, streamSequenceNumber: 1, payloadProtocolIdentifier: 51,
                userData: Array("hello".utf8), unordered: true, beginning: true, ending: false))]),
            packet(1, [.selectiveAck(ChunkSelectiveAck(
                cumulativeTSNAck: 5, advertisedReceiverWindowCredit: 65536,
                gapAckBlocks: [ChunkSelectiveAck.GapAckBlock(start: 2, end: 3)], duplicateTSNs: [4])),
                       .heartbeat(ChunkHeartbeat(info: [1, 2, 3, 4, 5])), .heartbeatAck(ChunkHeartbeatAck(info: [9]))]),
            packet(1, [.reconfig(ChunkReconfig(parameters: [
                .outgoingSSNResetRequest(requestSequenceNumber: 7, responseSequenceNumber: 6, senderLastTSN: 100,
                                         streams: [1, 3]),
                .incomingSSNResetRequest(requestSequenceNumber: 8, streams: [5]),
                .response(responseSequenceNumber: 9, result: .successPerformed),
            ]))]),
            packet(1, [.forwardTSN(ChunkForwardTSN(
                newCumulativeTSN: 20, streams: [ChunkForwardTSN.SkippedStream(streamIdentifier: 1, streamSequenceNumber: 2)])),
                       .shutdown(ChunkShutdown(cumulativeTSNAck: 19)), .shutdownAck(ChunkShutdownAck()),
                       .shutdownComplete(ChunkShutdownComplete(reflectedTag: true))]),
            packet(1, [.error(ChunkError(causes: [SCTPErrorCause(code: SCTPErrorCause.invalidStreamIdentifier, info: [0, 1, 0, 0])])),
                       .abort(ChunkAbort(reflectedTag: false, causes: [.userInitiatedAbort("bye")])),
                       .unknown(ChunkUnknown(type: 0x3F, flags: 0x81, value: [1, 2, 3]))]),
        ]
    }
}
