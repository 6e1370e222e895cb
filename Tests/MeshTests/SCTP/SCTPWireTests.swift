import CEngageChecksum
import Testing

@testable import Mesh

@Suite struct SCTPWireTests {
    /// RFC 3720 appendix B.4, whose CRCs are listed as the bytes on the wire (least significant first).
    @Test func crc32cKnownVectors() {
        #expect(CRC32c.checksum([UInt8](repeating: 0, count: 32)) == 0x8a91_36aa)
        #expect(CRC32c.checksum([UInt8](repeating: 0xff, count: 32)) == 0x62a8_ab43)
        #expect(CRC32c.checksum((0..<32).map { UInt8($0) }) == 0x46dd_794e)
        #expect(CRC32c.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113f_db5c)
        #expect(CRC32c.checksum(Array("123456789".utf8)) == 0xe306_9283)
    }

    /// The CPU's crc32 instruction gives what the table gives, at every length up to 80 and every alignment,
    /// chained over pieces as a packet's checksum is. On this x86-64 CI machine the instruction path runs.
    @Test func crc32cInstructionMatchesTheTable() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<96).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #if arch(x86_64)
        var probe: UInt32 = 0xffff_ffff
        #expect(bytes.withUnsafeBufferPointer { cengage_crc32c_update(&probe, $0.baseAddress, 1) } == 1)
        #endif
        bytes.withUnsafeBytes { raw in
            for start in 0..<8 {
                for length in 0...80 {
                    let piece = UnsafeRawBufferPointer(rebasing: raw[start..<start + length])
                    var byInstruction: UInt32 = 0xffff_ffff
                    var byTable: UInt32 = 0xffff_ffff
                    CRC32c.update(&byInstruction, piece)
                    CRC32c.updateByTable(&byTable, piece)
                    #expect(byInstruction == byTable, "start \(start), length \(length)")
                    let split = length / 3
                    var chained: UInt32 = 0xffff_ffff
                    CRC32c.update(&chained, UnsafeRawBufferPointer(rebasing: piece[piece.startIndex..<piece.startIndex + split]))
                    CRC32c.update(&chained, UnsafeRawBufferPointer(rebasing: piece[(piece.startIndex + split)...]))
                    #expect(chained == byTable)
                }
            }
        }
        // A packet's checksum, with its checksum field taken as zero, is the plain CRC of the zeroed packet.
        var packet = bytes
        packet.replaceSubrange(8..<12, with: [0xde, 0xad, 0xbe, 0xef])
        var zeroed = packet
        zeroed.replaceSubrange(8..<12, with: [0, 0, 0, 0])
        #expect(SCTPPacket.computeChecksum(packet) == CRC32c.checksum(zeroed))
    }

    static let everyChunk: [SCTPChunk] = [
        .payloadData(
            ChunkPayloadData(
                tsn: 0xffff_fffe, streamIdentifier: 1, streamSequenceNumber: 7, payloadProtocolIdentifier: 51,
                userData: Array("hello".utf8), unordered: true, beginning: true, ending: false, immediateAck: true)),
        .initiation(
            ChunkInit(
                SCTPInitFields(
                    initiateTag: 0xdead_beef, advertisedReceiverWindowCredit: 131_072, outboundStreams: 1024,
                    inboundStreams: 65535, initialTSN: 42,
                    parameters: [.supportedExtensions([192, 130]), .forwardTSNSupported, .unknown(type: 0x8003, value: [1, 2, 3])]))),
        .initiationAck(
            ChunkInitAck(
                SCTPInitFields(
                    initiateTag: 1, advertisedReceiverWindowCredit: 1, outboundStreams: 1, inboundStreams: 1,
                    initialTSN: 0, parameters: [.stateCookie([9, 8, 7, 6, 5]), .forwardTSNSupported]))),
        .selectiveAck(
            ChunkSelectiveAck(
                cumulativeTSNAck: 100, advertisedReceiverWindowCredit: 5000,
                gapAckBlocks: [.init(start: 2, end: 3), .init(start: 5, end: 5)], duplicateTSNs: [99, 98])),
        .selectiveAck(ChunkSelectiveAck(cumulativeTSNAck: 0, advertisedReceiverWindowCredit: 0)),
        .heartbeat(ChunkHeartbeat(info: [1, 2, 3, 4, 5, 6])),
        .heartbeatAck(ChunkHeartbeatAck(info: [7])),
        .abort(ChunkAbort(reflectedTag: true, causes: [.userInitiatedAbort("bye"), SCTPErrorCause(code: 4)])),
        .abort(ChunkAbort()),
        .shutdown(ChunkShutdown(cumulativeTSNAck: 77)),
        .shutdownAck(ChunkShutdownAck()),
        .error(ChunkError(causes: [SCTPErrorCause(code: 6, info: [0x7f, 0, 0, 4])])),
        .cookieEcho(ChunkCookieEcho(cookie: [1, 2, 3])),
        .cookieAck(ChunkCookieAck()),
        .shutdownComplete(ChunkShutdownComplete(reflectedTag: true)),
        .forwardTSN(ChunkForwardTSN(newCumulativeTSN: 5, streams: [.init(streamIdentifier: 1, streamSequenceNumber: 2)])),
        .reconfig(
            ChunkReconfig(parameters: [
                .outgoingSSNResetRequest(requestSequenceNumber: 10, responseSequenceNumber: 9, senderLastTSN: 300, streams: [1, 3]),
                .incomingSSNResetRequest(requestSequenceNumber: 11, streams: [5]),
            ])),
        .reconfig(ChunkReconfig(parameters: [.response(responseSequenceNumber: 10, result: .successPerformed)])),
        .unknown(ChunkUnknown(type: 0xc1, flags: 3, value: [1, 2, 3, 4, 5])),
    ]

    @Test(arguments: everyChunk) func chunkRoundTrips(_ chunk: SCTPChunk) throws {
        let packet = SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: 0x0102_0304, chunks: [chunk])
        let bytes = packet.serialize()
        #expect(bytes.count % 4 == 0)
        let parsed = try SCTPPacket.parse(bytes)
        #expect(parsed == packet)
        #expect(parsed.serialize() == bytes)
    }

    @Test func bundledPacketRoundTripsAndEveryTruncationThrows() throws {
        let packet = SCTPPacket(sourcePort: 5000, destinationPort: 5001, verificationTag: 7, chunks: Self.everyChunk)
        let bytes = packet.serialize()
        #expect(try SCTPPacket.parse(bytes) == packet)
        for length in 0..<bytes.count {
            #expect(throws: ParseError.self) { try SCTPPacket.parse(Array(bytes.prefix(length))) }
        }
    }

    /// Without the checksum to catch it, the framing itself must notice a cut anywhere in a chunk.
    @Test(arguments: everyChunk) func everyTruncationOfAChunkThrows(_ chunk: SCTPChunk) {
        var writer = ByteWriter()
        chunk.write(into: &writer)
        for length in 0..<writer.count {
            #expect(throws: ParseError.self) {
                var reader = ByteReader(Array(writer.bytes.prefix(length)))
                _ = try SCTPChunk.parse(&reader)
            }
        }
    }

    @Test func checksumIsLittleEndianOnTheWire() throws {
        let bytes = SCTPPacket(
            sourcePort: 5000, destinationPort: 5000, verificationTag: 0, chunks: [.cookieAck(ChunkCookieAck())]
        ).serialize()
        var zeroed = bytes
        zeroed.replaceSubrange(8..<12, with: [0, 0, 0, 0])
        let crc = CRC32c.checksum(zeroed)
        #expect(Array(bytes[8..<12]) == [UInt8(crc & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc >> 16 & 0xff), UInt8(crc >> 24)])
        var corrupted = bytes
        corrupted[13] ^= 1
        #expect(throws: ParseError.self) { try SCTPPacket.parse(corrupted) }
    }

    @Test func malformedValuesThrow() {
        // SACK counts that disagree with the length, DATA with no user data, INIT with tag 0.
        let cases: [(UInt8, [UInt8])] = [
            (3, [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0]),
            (0, [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 51]),
            (1, [0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1]),
            (2, [0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1]),
        ]
        for (type, value) in cases {
            #expect(throws: ParseError.self) { try SCTPChunk.parse(type: type, flags: 0, value: value[...]) }
        }
    }

    @Test func dcepMessagesRoundTrip() throws {
        let open = DataChannelOpen(channelType: .partialReliableTimedUnordered, priority: 512, reliabilityParameter: 3000,
                                   label: "channel", protocol: "chat")
        let bytes = open.serialize()
        #expect(try DataChannelOpen.parse(bytes) == open)
        for length in 0..<bytes.count {
            #expect(throws: ParseError.self) { try DataChannelOpen.parse(Array(bytes.prefix(length))) }
        }
        #expect(try DataChannelAck.parse([2]) == DataChannelAck())
        // Read by its type: Pion pads its ACK to four bytes.
        #expect(try DataChannelAck.parse([2, 0, 0, 0]) == DataChannelAck())
        #expect(throws: ParseError.self) { try DataChannelAck.parse([]) }
        #expect(throws: ParseError.self) { try DataChannelAck.parse([3, 0, 0, 0]) }
    }
}
