import Testing
@testable import Mesh

/// NACK timing on virtual time.
@Suite struct NackRequesterTests {
    static func ms(_ value: Int64) -> Timestamp { .milliseconds(value) }
    static let rtt = RoundTrip(smoothed: .milliseconds(100), variation: .zero)

    static func asked(_ nacks: [TransportLayerNack]) -> [UInt16] { nacks.flatMap(\.lostSequenceNumbers) }

    @Test func aGapIsAskedForOnceThePacketIsLatePastTheReorderAllowance() {
        var requester = NackRequester()
        requester.received(ssrc: 7, sequenceNumber: 10, isRetransmission: false, at: Self.ms(0))
        requester.received(ssrc: 7, sequenceNumber: 13, isRetransmission: false, at: Self.ms(5))
        #expect(requester.missing(ssrc: 7) == [11, 12])
        #expect(requester.nextDeadline?.at == Self.ms(15))
        #expect(requester.requests(senderSSRC: 1, roundTrip: Self.rtt, at: Self.ms(14)).isEmpty)
        let nacks = requester.requests(senderSSRC: 1, roundTrip: Self.rtt, at: Self.ms(15))
        #expect(nacks == [TransportLayerNack(senderSSRC: 1, mediaSSRC: 7, pairs: [.init(packetID: 11, lostBitmask: 1)])])
        #expect(requester.statistics.nacksSent == 1 && requester.statistics.packetsRequested == 2)
    }

    @Test func reorderingWithinTheAllowanceCostsNoRequest() {
        var requester = NackRequester()
        for sequence: UInt16 in [1, 3, 2, 4] {
            requester.received(ssrc: 7, sequenceNumber: sequence, isRetransmission: false, at: Self.ms(Int64(sequence)))
        }
        #expect(requester.missing(ssrc: 7).isEmpty)
        #expect(requester.requests(senderSSRC: 1, roundTrip: Self.rtt, at: Self.ms(100)).isEmpty)
        #expect(requester.statistics.nacksSent == 0)
    }

    @Test func askedAgainEveryRoundTripThenGivenUpAfterTheRetryLimit() {
        var configuration = NackRequester.Configuration()
        configuration.maxRequests = 3
        var requester = NackRequester(configuration: configuration)
        requester.received(ssrc: 7, sequenceNumber: 65535, isRetransmission: false, at: Self.ms(0))
        requester.received(ssrc: 7, sequenceNumber: 1, isRetransmission: false, at: Self.ms(0))  // 0 lost, across the wrap
        var times: [Int64] = []
        var now = Self.ms(0)
        while let deadline = requester.nextDeadline, deadline.at < Self.ms(2000) {
            now = deadline.at
            if !Self.asked(requester.requests(senderSSRC: 1, roundTrip: Self.rtt, at: now)).isEmpty {
                times.append(now.nanoseconds / 1_000_000)
            }
        }
        // Re-asked a round trip and a quarter apart (125 ms), three times, then dropped.
        #expect(times == [10, 135, 260])
        #expect(requester.missing(ssrc: 7).isEmpty)
        #expect(requester.statistics.packetsAbandoned == 1)
        #expect(requester.nextDeadline == nil)
    }

    @Test func givenUpOnceOlderThanTheBuffersReach() {
        var configuration = NackRequester.Configuration()
        configuration.giveUpAfter = .milliseconds(300)
        var requester = NackRequester(configuration: configuration)
        requester.received(ssrc: 7, sequenceNumber: 1, isRetransmission: false, at: Self.ms(0))
        requester.received(ssrc: 7, sequenceNumber: 3, isRetransmission: false, at: Self.ms(0))
        var requests = 0
        while let deadline = requester.nextDeadline {
            requests += Self.asked(requester.requests(senderSSRC: 1, roundTrip: RoundTrip(smoothed: .milliseconds(80), variation: .zero), at: deadline.at)).count
        }
        // Asked at 10, 110, 210 ms; due again at 310, past 300 ms: given up.
        #expect(requests == 3)
        #expect(requester.statistics.packetsAbandoned == 1)
    }

    @Test func aRetransmissionRepairsAndMeasuresTheRoundTripOnlyWhenUnambiguous() {
        var requester = NackRequester()
        requester.received(ssrc: 7, sequenceNumber: 1, isRetransmission: false, at: Self.ms(0))
        requester.received(ssrc: 7, sequenceNumber: 4, isRetransmission: false, at: Self.ms(0))
        _ = requester.requests(senderSSRC: 1, roundTrip: Self.rtt, at: Self.ms(10))  // asks for 2 and 3
        // 2 comes back by RTX after one request: a sample. 3 after two requests: repaired, no sample.
        #expect(requester.received(ssrc: 7, sequenceNumber: 2, isRetransmission: true, at: Self.ms(90))
            == NackRequester.Repair(roundTripSample: .milliseconds(80)))
        _ = requester.requests(senderSSRC: 1, roundTrip: Self.rtt, at: Self.ms(135))
        #expect(requester.received(ssrc: 7, sequenceNumber: 3, isRetransmission: true, at: Self.ms(200))
            == NackRequester.Repair(roundTripSample: nil))
        // A duplicate of something never missing repairs nothing.
        #expect(requester.received(ssrc: 7, sequenceNumber: 4, isRetransmission: true, at: Self.ms(201)) == nil)
        #expect(requester.statistics.packetsRepaired == 2)
        #expect(requester.missing(ssrc: 7).isEmpty)
    }

    @Test func stateStaysBoundedUnderHugeGapsRestartsAndManyStreams() {
        var configuration = NackRequester.Configuration()
        configuration.maxMissing = 100
        configuration.maxStreams = 2
        var requester = NackRequester(configuration: configuration)
        requester.received(ssrc: 1, sequenceNumber: 0, isRetransmission: false, at: Self.ms(0))
        requester.received(ssrc: 1, sequenceNumber: 1000, isRetransmission: false, at: Self.ms(1))
        #expect(requester.missing(ssrc: 1) == Array(900..<1000))
        // A jump past the restart distance is a new stream, not 10,000 losses.
        requester.received(ssrc: 1, sequenceNumber: 11_000, isRetransmission: false, at: Self.ms(2))
        #expect(requester.missing(ssrc: 1).isEmpty)
        requester.received(ssrc: 2, sequenceNumber: 0, isRetransmission: false, at: Self.ms(3))
        requester.received(ssrc: 3, sequenceNumber: 0, isRetransmission: false, at: Self.ms(3))
        #expect(requester.statistics.streamsRefused == 1)
        // One NACK never asks for more than its share; the rest wait for the next round.
        configuration.maxPerRequest = 10
        var small = NackRequester(configuration: configuration)
        small.received(ssrc: 1, sequenceNumber: 0, isRetransmission: false, at: Self.ms(0))
        small.received(ssrc: 1, sequenceNumber: 50, isRetransmission: false, at: Self.ms(0))
        #expect(Self.asked(small.requests(senderSSRC: 9, roundTrip: Self.rtt, at: Self.ms(10))) == Array(1...10))
        #expect(small.nextDeadline?.at == Self.ms(10))
    }
}

@Suite struct RetransmissionTests {
    @Test func rtxWrapsAndUnwrapsToTheOriginalPacket() throws {
        let original = RTPPacket(payloadType: 96, sequenceNumber: 0xBEEF, timestamp: 123_456, ssrc: 0x1111, marker: true,
                                 extensions: [RTPHeaderExtension(id: 3, data: [1, 2])], payload: [9, 8, 7][...])
        let rtx = RetransmissionPayload.wrap(original, payloadType: 97, ssrc: 0x2222, sequenceNumber: 5)
        let parsed = try RTPPacket(parsing: rtx.serialized())
        #expect(parsed.payloadType == 97 && parsed.ssrc == 0x2222 && parsed.sequenceNumber == 5)
        #expect(Array(parsed.payload) == [0xBE, 0xEF, 9, 8, 7])
        let unwrapped = try #require(RetransmissionPayload.unwrap(parsed, mediaPayloadType: 96, mediaSSRC: 0x1111))
        #expect(unwrapped.serialized() == original.serialized())
    }

    @Test func paddingOnlyProbesCarryNothing() throws {
        var probe = RTPPacket(payloadType: 97, sequenceNumber: 1, timestamp: 0, ssrc: 0x2222, payload: [][...])
        probe.paddingLength = 200
        let parsed = try RTPPacket(parsing: probe.serialized())
        #expect(RetransmissionPayload.unwrap(parsed, mediaPayloadType: 96, mediaSSRC: 1) == nil)
        let short = RTPPacket(payloadType: 97, sequenceNumber: 1, timestamp: 0, ssrc: 0x2222, payload: [1][...])
        #expect(RetransmissionPayload.unwrap(short, mediaPayloadType: 96, mediaSSRC: 1) == nil)
    }

    @Test func theSendHistoryAnswersRecentPacketsABoundedNumberOfTimes() {
        var history = SendHistory(capacity: 4, maxAge: .seconds(1))
        for sequence: UInt16 in 0..<6 {
            history.record(RTPPacket(payloadType: 96, sequenceNumber: sequence, timestamp: 0, ssrc: 1, payload: [UInt8(sequence)][...]),
                           at: .milliseconds(Int64(sequence)))
        }
        // 0 and 1 were overwritten by 4 and 5.
        #expect(history.resend(0, at: .milliseconds(10)) == nil)
        #expect(history.resend(5, at: .milliseconds(10))?.payload.first == 5)
        // Too old: the receiver stopped waiting.
        #expect(history.resend(2, at: .milliseconds(1003)) == nil)
        var answered = 0
        for _ in 0..<20 where history.resend(3, at: .milliseconds(20)) != nil { answered += 1 }
        #expect(answered == SendHistory.maxResends)
    }

    @Test func theSendHistoryGrowsOnlyToHoldWhatIsYoungerThanItsMaximumAge() {
        func packet(_ sequence: UInt16) -> RTPPacket {
            RTPPacket(payloadType: 96, sequenceNumber: sequence, timestamp: 0, ssrc: 1, payload: [UInt8(truncatingIfNeeded: sequence)][...])
        }
        // 20 packets a second for 10 s: a second of them fits the ring it starts with.
        var slow = SendHistory(capacity: 1024, maxAge: .seconds(1))
        for sequence: UInt16 in 0..<200 { slow.record(packet(sequence), at: .milliseconds(Int64(sequence) * 50)) }
        #expect(slow.slotCount == SendHistory.initialCapacity)
        #expect(slow.resend(199, at: .milliseconds(9_960))?.payload.first == 199)
        // 500 packets a second: it grows until a second of them fits, and every one of the last second is
        // still there, across the wrap of the sequence number.
        var fast = SendHistory(capacity: 1024, maxAge: .seconds(1))
        for step in 0..<2_000 {
            fast.record(packet(UInt16(truncatingIfNeeded: 65_000 + step)), at: .milliseconds(Int64(step) * 2))
        }
        #expect(fast.slotCount == 512)
        let now = Timestamp.milliseconds(4_000)
        for step in 1_500..<2_000 {
            let sequence = UInt16(truncatingIfNeeded: 65_000 + step)
            #expect(fast.resend(sequence, at: now)?.sequenceNumber == sequence)
        }
        // Never beyond its capacity, however fast the stream.
        var bounded = SendHistory(capacity: 100, maxAge: .seconds(1))
        for sequence: UInt16 in 0..<1_000 { bounded.record(packet(sequence), at: .milliseconds(0)) }
        #expect(bounded.slotCount == 128)
    }
}
