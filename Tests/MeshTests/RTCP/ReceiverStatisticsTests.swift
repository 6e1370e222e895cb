import Testing

@testable import Mesh

/// Feeds packets 20 ms apart on a 90 kHz clock, arriving on time unless told otherwise.
private func feed(
    _ statistics: inout ReceiverStatistics, _ sequences: [UInt16], startMilliseconds: Int64 = 0
) {
    for (index, sequence) in sequences.enumerated() {
        statistics.record(
            sequenceNumber: sequence, rtpTimestamp: UInt32(sequence) &* 1800,
            arrival: .milliseconds(startMilliseconds + Int64(index) * 20), clockRate: 90000)
    }
}

private func report(_ statistics: inout ReceiverStatistics, at now: Timestamp) throws -> ReportBlock {
    let block = statistics.makeReportBlock(at: now)
    return try #require(block)
}

@Suite struct ReceiverStatisticsTests {
    @Test func noBlockBeforeTheFirstPacket() {
        var statistics = ReceiverStatistics(ssrc: 1)
        let block = statistics.makeReportBlock(at: .zero)
        #expect(block == nil)
    }

    @Test func inOrderStreamReportsNoLoss() throws {
        var statistics = ReceiverStatistics(ssrc: 9)
        feed(&statistics, Array(1000..<1100))
        let block = try report(&statistics, at: .seconds(2))
        #expect(block.ssrc == 9)
        #expect(block.fractionLost == 0)
        #expect(block.cumulativeLost == 0)
        #expect(block.extendedHighestSequenceNumber == 1099)
        #expect(block.jitter == 0)
        #expect(block.lastSenderReport == 0 && block.delaySinceLastSenderReport == 0)
    }

    @Test func lossGivesFractionPerIntervalAndCumulativeOverall() throws {
        var statistics = ReceiverStatistics(ssrc: 1)
        let missing: Set<UInt16> = [3, 7, 8, 12, 15]
        feed(&statistics, (0..<20).filter { !missing.contains($0) })
        let first = try report(&statistics, at: .seconds(1))
        // 5 of 20 lost: 5 × 256 / 20 = 64.
        #expect(first.fractionLost == 64)
        #expect(first.cumulativeLost == 5)
        #expect(first.extendedHighestSequenceNumber == 19)
        #expect(!statistics.hasReceivedSinceLastReport)

        feed(&statistics, Array(20..<30), startMilliseconds: 1000)
        let second = try report(&statistics, at: .seconds(2))
        #expect(second.fractionLost == 0)
        #expect(second.cumulativeLost == 5)

        feed(&statistics, [30, 33], startMilliseconds: 2000)
        let third = try report(&statistics, at: .seconds(3))
        // 2 of 4 expected lost in this interval: 128.
        #expect(third.fractionLost == 128)
        #expect(third.cumulativeLost == 7)
    }

    @Test func reorderingIsNotLoss() throws {
        var statistics = ReceiverStatistics(ssrc: 1)
        feed(&statistics, [0, 1, 3, 2, 4, 6, 5])
        let block = try report(&statistics, at: .seconds(1))
        #expect(block.fractionLost == 0)
        #expect(block.cumulativeLost == 0)
        #expect(block.extendedHighestSequenceNumber == 6)
    }

    @Test func sequenceWraparoundExtendsTheHighestAndKeepsCounting() throws {
        var statistics = ReceiverStatistics(ssrc: 1)
        // 65530 ... 65535, 0 ... 9 with 65533 lost, and 0 arriving after 1.
        feed(&statistics, [65530, 65531, 65532, 65534, 65535, 1, 0, 2, 3, 4, 5, 6, 7, 8, 9])
        let block = try report(&statistics, at: .seconds(1))
        #expect(block.extendedHighestSequenceNumber == 65536 + 9)
        #expect(block.cumulativeLost == 1)
        // 1 of 16 lost: 256 / 16 = 16.
        #expect(block.fractionLost == 16)
    }

    @Test func duplicatesCanMakeCumulativeLossNegative() throws {
        var statistics = ReceiverStatistics(ssrc: 1)
        feed(&statistics, [0, 1, 1, 2])
        let block = try report(&statistics, at: .seconds(1))
        #expect(block.cumulativeLost == -1)
        #expect(block.fractionLost == 0)
        #expect(
            try ReceiverReport.parse(ReceiverReport(ssrc: 2, reportBlocks: [block]).serialize()).reportBlocks == [block]
        )
    }

    @Test func aBigJumpIsARestartOnlyOnceConfirmed() throws {
        var statistics = ReceiverStatistics(ssrc: 1)
        feed(&statistics, Array(0..<10))
        let jumped = statistics.record(sequenceNumber: 40000, rtpTimestamp: 0, arrival: .seconds(1), clockRate: 90000)
        #expect(!jumped)
        #expect(statistics.extendedHighestSequenceNumber == 9)
        let confirmed = statistics.record(
            sequenceNumber: 40001, rtpTimestamp: 1800, arrival: .seconds(1.02), clockRate: 90000)
        #expect(confirmed)
        let block = try report(&statistics, at: .seconds(2))
        #expect(block.extendedHighestSequenceNumber == 40001)
        #expect(block.cumulativeLost == 0)
    }

    @Test func jitterFollowsTheRFCEstimatorOnVirtualTime() throws {
        var statistics = ReceiverStatistics(ssrc: 1)
        var lcg: UInt64 = 12345
        var reference = 0.0
        var lastTransit: Int64?
        for index in 0..<500 {
            lcg = lcg &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let extraMicroseconds = Int64(lcg >> 33) % 30_000  // up to 30 ms of network delay
            let arrival = Timestamp(nanoseconds: (Int64(index) * 20_000 + extraMicroseconds) * 1000)
            let rtpTimestamp = UInt32(index * 1800)
            statistics.record(
                sequenceNumber: UInt16(index), rtpTimestamp: rtpTimestamp, arrival: arrival, clockRate: 90000)
            let transit = arrival.nanoseconds * 90000 / 1_000_000_000 - Int64(rtpTimestamp)
            if let lastTransit { reference += (Double(abs(transit - lastTransit)) - reference) / 16 }
            lastTransit = transit
        }
        let block = try report(&statistics, at: .seconds(11))
        // Uniform 0–30 ms delay gives |D| near 10 ms = 900 units on average.
        #expect(reference > 500 && reference < 1300)
        #expect(abs(Double(block.jitter) - reference) <= 2)
    }

    @Test func jitterStaysZeroForConstantDelayAcrossTimestampWrap() throws {
        var statistics = ReceiverStatistics(ssrc: 1)
        for index in 0..<100 {
            // RTP timestamps start just below 2^32 and wrap part-way.
            statistics.record(
                sequenceNumber: UInt16(index), rtpTimestamp: UInt32.max - 50_000 &+ UInt32(index * 960),
                arrival: .milliseconds(7 + Int64(index) * 20), clockRate: 48000)
        }
        #expect(try report(&statistics, at: .seconds(3)).jitter == 0)
    }

    @Test func lastSenderReportAndDelaySinceIt() throws {
        var statistics = ReceiverStatistics(ssrc: 1)
        feed(&statistics, [0])
        statistics.recordSenderReport(ntpTime: NTPTime(rawValue: 0xe8a1_1234_5678_9abc), arrival: .seconds(1))
        let block = try report(&statistics, at: .seconds(1.5))
        #expect(block.lastSenderReport == 0x1234_5678)
        // Half a second in 1/65536 s units.
        #expect(block.delaySinceLastSenderReport == 32768)
    }
}
