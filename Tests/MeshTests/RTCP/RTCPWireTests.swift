import Testing

@testable import Mesh

private func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter(\.isHexDigit))
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16) ?? 0 }
}

private let blockA = ReportBlock(
    ssrc: 0xaabb_ccdd, fractionLost: 0x40, cumulativeLost: -1, extendedHighestSequenceNumber: 0x0001_0005,
    jitter: 42, lastSenderReport: 0x1234_5678, delaySinceLastSenderReport: 0x0001_8000)
private let blockB = ReportBlock(ssrc: 7, cumulativeLost: 0x7f_ffff, extendedHighestSequenceNumber: 9)

/// One of every message this library interprets, plus an unknown one.
private let everyPacket: [RTCPPacket] = [
    .senderReport(
        SenderReport(
            ssrc: 0x0102_0304, ntpTime: NTPTime(rawValue: 0xe8a1_b2c3_8000_0000), rtpTimestamp: 90000,
            packetCount: 10, octetCount: 12000, reportBlocks: [blockA, blockB])),
    .receiverReport(ReceiverReport(ssrc: 0x0102_0304, reportBlocks: [blockA])),
    .receiverReport(ReceiverReport(ssrc: 5)),
    .sourceDescription(
        SourceDescription(chunks: [
            .init(source: 0x0102_0304, items: [.cname("engage-bot")]),
            .init(source: 9, items: [.cname("abc"), .init(type: SourceDescription.Item.tool, value: Array("x".utf8))]),
            .init(source: 10, items: []),
        ])),
    .goodbye(Goodbye(sources: [1, 2], reason: Array("page closed".utf8))),
    .goodbye(Goodbye(sources: [3])),
    .transportLayerNack(TransportLayerNack(senderSSRC: 1, mediaSSRC: 2, lost: [65534, 65535, 0, 13, 40])),
    .pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
    .fullIntraRequest(FullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 2, sequenceNumber: 3)])),
    .receiverEstimatedMaximumBitrate(
        ReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 1_000_000, ssrcs: [2, 3])),
    .transportWideCongestionControl(
        TransportWideCongestionControl(
            senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 65530, referenceTime: 0xab_cdef, feedbackPacketCount: 9,
            statuses: [.received(delta: 4), .notReceived, .received(delta: 300), .received(delta: -8)]
                + Array(repeating: .received(delta: 1), count: 20) + Array(repeating: .notReceived, count: 3))),
    .unknown(UnknownRTCPPacket(packetType: 204, countOrFormat: 3, body: hex("01020304 6e616d65 00000000"))),
]

@Suite struct RTCPWireTests {
    @Test(arguments: everyPacket)
    func eachMessageRoundTripsByteForByte(_ packet: RTCPPacket) throws {
        let bytes = RTCPCompound.serialize([packet])
        #expect(bytes.count % 4 == 0)
        #expect(try RTCPCompound.parse(bytes) == [packet])
        #expect(RTCPCompound.serialize(try RTCPCompound.parse(bytes)) == bytes)
    }

    @Test func compoundRoundTripsByteForByte() throws {
        let bytes = RTCPCompound.serialize(everyPacket)
        let parsed = try RTCPCompound.parse(bytes)
        #expect(parsed == everyPacket)
        #expect(RTCPCompound.serialize(parsed) == bytes)
    }

    @Test func everyTruncationThrowsOrEndsOnAPacketBoundary() throws {
        let bytes = RTCPCompound.serialize(everyPacket)
        var boundaries: [Int: Int] = [:]  // prefix length → packets wholly inside it
        var offset = 0
        for (index, packet) in everyPacket.enumerated() {
            offset += RTCPCompound.serialize([packet]).count
            boundaries[offset] = index + 1
        }
        for length in 0..<bytes.count {
            let prefix = bytes[..<length]
            if let whole = boundaries[length] {
                // Cutting between packets leaves a shorter, still valid, compound.
                #expect(try RTCPCompound.parse(prefix) == Array(everyPacket.prefix(whole)))
            } else {
                #expect(throws: ParseError.self, "prefix of \(length) bytes") { try RTCPCompound.parse(prefix) }
            }
        }
    }

    @Test func everyTruncationOfEachMessageThrows() {
        for packet in everyPacket {
            let bytes = RTCPCompound.serialize([packet])
            for length in 0..<bytes.count {
                #expect(throws: ParseError.self) { try RTCPCompound.parse(bytes[..<length]) }
            }
        }
    }

    @Test func bodiesShorterThanTheirCountsThrow() {
        // An RR claiming one report block but only long enough for its own SSRC.
        #expect(throws: ParseError.self) { try RTCPCompound.parse(hex("81c90001 01020304")) }
        // A length running past the datagram.
        #expect(throws: ParseError.self) { try RTCPCompound.parse(hex("80c90002 01020304")) }
        // Version 1, and padding larger than the packet.
        #expect(throws: ParseError.self) { try RTCPCompound.parse(hex("40c90001 01020304")) }
        #expect(throws: ParseError.self) { try RTCPCompound.parse(hex("a0c90001 01020309")) }
        // A TWCC status vector using the reserved symbol 11.
        #expect(throws: ParseError.self) {
            try RTCPCompound.parse(hex("8fcd0005 00000001 00000002 00000001 00000000 f0000000"))
        }
    }

    @Test func receiverReportKnownBytes() throws {
        let bytes = hex(
            """
            81c90007 01020304
            aabbccdd 40ffffff 00010005 0000002a 12345678 00018000
            """)
        let report = ReceiverReport(ssrc: 0x0102_0304, reportBlocks: [blockA])
        #expect(report.serialize() == bytes)
        #expect(try ReceiverReport.parse(bytes) == report)
        #expect(try ReceiverReport.parse(bytes).reportBlocks[0].cumulativeLost == -1)
    }

    @Test func cumulativeLostIsClampedToTwentyFourBits() throws {
        var block = blockB
        block.cumulativeLost = 10_000_000
        let parsed = try ReceiverReport.parse(ReceiverReport(ssrc: 1, reportBlocks: [block]).serialize())
        #expect(parsed.reportBlocks[0].cumulativeLost == 0x7f_ffff)
        block.cumulativeLost = -10_000_000
        let negative = try ReceiverReport.parse(ReceiverReport(ssrc: 1, reportBlocks: [block]).serialize())
        #expect(negative.reportBlocks[0].cumulativeLost == -0x80_0000)
    }

    @Test func sourceDescriptionKnownBytes() throws {
        // CNAME "abcd": SSRC, type 1, length 4, text, then four nulls to the next boundary.
        let bytes = hex("81ca0003 01020304 01046162 63640000 0000")
        // 4 + 2 + 4 = 10 bytes of chunk, +1 null = 11, padded to 12: body is 12 bytes.
        let expected = hex("81ca0003 01020304 01046162 63640000")
        let sdes = SourceDescription(source: 0x0102_0304, cname: "abcd")
        #expect(sdes.serialize() == expected)
        #expect(try SourceDescription.parse(expected).cname(of: 0x0102_0304) == "abcd")
        #expect(throws: ParseError.self) { try SourceDescription.parse(bytes) }
    }

    @Test func goodbyeKnownBytes() throws {
        let bytes = hex("81cb0003 01020304 03627965 00000000")
        // One source, reason "bye" (length 3) padded to 8 bytes.
        let expected = hex("81cb0002 01020304 03627965")
        let bye = Goodbye(sources: [0x0102_0304], reason: Array("bye".utf8))
        #expect(bye.serialize() == expected)
        #expect(try Goodbye.parse(expected) == bye)
        // Extra zero words after the reason are padding, not an error.
        #expect(try Goodbye.parse(bytes) == bye)
    }

    @Test func nackPacksSequenceNumbersAcrossWraparound() throws {
        let nack = TransportLayerNack(senderSSRC: 1, mediaSSRC: 2, lost: [65534, 65535, 0, 15, 16, 40])
        // 65535 and 0 ride in the first pair's bitmask; 15 is 17 past 65534, too far.
        #expect(
            nack.pairs == [
                .init(packetID: 65534, lostBitmask: 0b11), .init(packetID: 15, lostBitmask: 0b1), .init(packetID: 40),
            ])
        #expect(nack.lostSequenceNumbers == [65534, 65535, 0, 15, 16, 40])
        #expect(nack.serialize() == hex("81cd0005 00000001 00000002 fffe0003 000f0001 00280000"))
    }

    @Test func pictureLossAndFullIntraKnownBytes() throws {
        #expect(
            PictureLossIndication(senderSSRC: 1, mediaSSRC: 0xabcd).serialize() == hex("81ce0002 00000001 0000abcd"))
        let fir = FullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 0xabcd, sequenceNumber: 7)])
        #expect(fir.serialize() == hex("84ce0004 00000001 00000000 0000abcd 07000000"))
        #expect(try FullIntraRequest.parse(fir.serialize()) == fir)
    }

    @Test func rembEncodesOneMegabitAsMantissaAndExponent() throws {
        let remb = ReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 1_000_000, ssrcs: [0x1234_5678])
        // 1,000,000 needs 20 bits: exponent 2, mantissa 250,000 (0x3d090).
        #expect(remb.exponentAndMantissa == (2, 250_000))
        #expect(remb.serialize() == hex("8fce0005 00000001 00000000 52454d42 010bd090 12345678"))
        #expect(try ReceiverEstimatedMaximumBitrate.parse(remb.serialize()) == remb)
    }

    @Test func rembRoundsDownAndSaturates() throws {
        let odd = ReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 1_000_001, ssrcs: [])
        #expect(try ReceiverEstimatedMaximumBitrate.parse(odd.serialize()).bitrate == 1_000_000)
        let small = ReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 262_143, ssrcs: [])
        #expect(small.exponentAndMantissa == (0, 262_143))
        // Exponent 63 with a full mantissa cannot fit 64 bits: it reads as the largest value a REMB can carry,
        // which writes back as itself (found by the rtcp fuzz target: saturating at UInt64.max did not).
        let largest: UInt64 = 0x3FFFF << 46
        let huge = try RTCPCompound.parse(hex("8fce0004 00000001 00000000 52454d42 00ffffff"))
        #expect(huge == [.receiverEstimatedMaximumBitrate(.init(senderSSRC: 1, bitrate: largest, ssrcs: []))])
        #expect(try RTCPCompound.parse(RTCPCompound.serialize(huge)) == huge)
        let past = try RTCPCompound.parse(hex("8fce0004 00000001 00000000 52454d42 00bfffff"))
        #expect(past == [.receiverEstimatedMaximumBitrate(.init(senderSSRC: 1, bitrate: largest, ssrcs: []))])
    }

    @Test func otherApplicationFeedbackStaysUnknown() throws {
        let packets = try RTCPCompound.parse(hex("8fce0003 00000001 00000000 41424344"))
        #expect(
            packets == [.unknown(.init(packetType: 206, countOrFormat: 15, body: hex("00000001 00000000 41424344")))])
    }

    @Test func transportWideFeedbackKnownBytesWithTwoBitVector() throws {
        // Statuses 01 00 10 10 in one two-bit vector: 11 01 00 10 10 00 00 00 = d280;
        // deltas 04, 012c, fff8; 23 body bytes, so one byte of RTCP padding.
        let bytes = hex("afcd0006 11111111 22222222 fffe0004 00010207 d2800401 2cfff801")
        let feedback = TransportWideCongestionControl(
            senderSSRC: 0x1111_1111, mediaSSRC: 0x2222_2222, baseSequenceNumber: 0xfffe, referenceTime: 0x102,
            feedbackPacketCount: 7,
            statuses: [.received(delta: 4), .notReceived, .received(delta: 300), .received(delta: -8)])
        #expect(feedback.serialize() == bytes)
        #expect(try TransportWideCongestionControl.parse(bytes) == feedback)
        let base = Int64(0x102) * 64_000
        #expect(feedback.arrivals.map(\.sequenceNumber) == [0xfffe, 0, 1])
        #expect(
            feedback.arrivals.map(\.arrival) == [
                .microseconds(base + 1000), .microseconds(base + 76000), .microseconds(base + 74000),
            ])
    }

    @Test func transportWideFeedbackKnownBytesWithRunAndOneBitVector() throws {
        // 20 small deltas as a run (0 01 0000000010100 = 2014), then 0 0 0 1 as a one-bit
        // vector (1 0 0001 0000000000 = 8400); 21 delta bytes; 41 body bytes + 3 padding.
        let statuses: [TransportWideCongestionControl.PacketStatus] =
            Array(repeating: .received(delta: 1), count: 20) + [
                .notReceived, .notReceived, .notReceived, .received(delta: 2),
            ]
        let feedback = TransportWideCongestionControl(
            senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 100, referenceTime: 0, feedbackPacketCount: 0,
            statuses: statuses)
        let expected =
            hex("afcd000b 00000001 00000002 00640018 00000000 20148400")
            + Array(repeating: 1, count: 20) + hex("02 000003")
        #expect(feedback.serialize() == expected)
        #expect(try TransportWideCongestionControl.parse(expected) == feedback)
    }

    @Test func transportWideFeedbackAcceptsZeroPaddingWithoutThePaddingBit() throws {
        // Same as the two-bit example but padded with a zero byte and no P bit.
        let bytes = hex("8fcd0006 11111111 22222222 fffe0004 00010207 d2800401 2cfff800")
        let feedback = try TransportWideCongestionControl.parse(bytes)
        #expect(feedback.statuses == [.received(delta: 4), .notReceived, .received(delta: 300), .received(delta: -8)])
    }

    @Test func unknownPacketsAreSkippedButKept() throws {
        let app = hex("83cc0002 01020304 6e616d65")
        let bytes = app + ReceiverReport(ssrc: 1).serialize()
        let packets = try RTCPCompound.parse(bytes)
        #expect(packets.count == 2)
        #expect(packets[1] == .receiverReport(ReceiverReport(ssrc: 1)))
        #expect(RTCPCompound.serialize(packets) == bytes)
    }

    @Test func roundTripTimeFromReportBlock() {
        let block = ReportBlock(ssrc: 1, lastSenderReport: 0x0001_0000, delaySinceLastSenderReport: 0x0000_8000)
        // Arrival 1.75 s after the SR's compact time, of which 0.5 s was spent at the receiver.
        let arrival = NTPTime(rawValue: UInt64(0x0001_0000 + 0x0001_c000) << 16)
        #expect(block.roundTripTime(arrivalNTP: arrival) == .milliseconds(1250))
        #expect(ReportBlock(ssrc: 1).roundTripTime(arrivalNTP: arrival) == nil)
    }

    @Test func ntpTimeFromUnixTime() {
        let time = NTPTime(unixNanoseconds: 1_500_000_000)
        #expect(time.rawValue == (NTPTime.unixEpochOffset + 1) << 32 | 0x8000_0000)
        #expect(time.middle32Bits == UInt32(truncatingIfNeeded: (NTPTime.unixEpochOffset + 1) << 16) | 0x8000)
    }
}
