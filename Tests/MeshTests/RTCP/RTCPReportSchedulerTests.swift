import Testing

@testable import Mesh

@Suite struct RTCPReportSchedulerTests {
    @Test func firstReportComesWithinHalfAnIntervalRandomized() {
        for seed in UInt64(0)..<50 {
            let scheduler = RTCPReportScheduler(start: .seconds(10), seed: seed)
            #expect(scheduler.nextDeadline.at >= .seconds(10.25) && scheduler.nextDeadline.at < .seconds(10.75))
            #expect(!scheduler.isDue(at: .seconds(10.2)))
            #expect(scheduler.isDue(at: .seconds(10.75)))
        }
    }

    @Test func laterReportsComeAtHalfToOneAndAHalfIntervals() {
        var scheduler = RTCPReportScheduler(start: .zero, seed: 7)
        var total = 0.0
        var now = scheduler.nextDeadline.at
        for _ in 0..<1000 {
            scheduler.reportSent(at: now)
            let gap = (scheduler.nextDeadline.at - now).secondsValue
            #expect(gap >= 0.5 && gap < 1.5)
            total += gap
            now = scheduler.nextDeadline.at
        }
        #expect(abs(total / 1000 - 1) < 0.05)
    }

    @Test func theSameSeedReplaysTheSameSchedule() {
        var first = RTCPReportScheduler(interval: RTCPReportScheduler.audioInterval, start: .zero, seed: 42)
        var second = RTCPReportScheduler(interval: RTCPReportScheduler.audioInterval, start: .zero, seed: 42)
        for step in 1...10 {
            first.reportSent(at: .seconds(Double(step)))
            second.reportSent(at: .seconds(Double(step)))
            #expect(first.nextDeadline == second.nextDeadline)
        }
    }

    @Test func receiverReportCompoundCarriesFreshBlocksAndCName() throws {
        var statistics = [ReceiverStatistics(ssrc: 100), ReceiverStatistics(ssrc: 200), ReceiverStatistics(ssrc: 300)]
        statistics[0].record(sequenceNumber: 1, rtpTimestamp: 0, arrival: .zero, clockRate: 90000)
        statistics[1].record(sequenceNumber: 5, rtpTimestamp: 0, arrival: .zero, clockRate: 48000)
        let packets = RTCPCompound.receiverReport(
            ssrc: 0xbeef, cname: "engage-bot", statistics: &statistics, at: .seconds(1))
        let parsed = try RTCPCompound.parse(RTCPCompound.serialize(packets))
        #expect(parsed == packets)
        guard case .receiverReport(let report) = parsed.first, case .sourceDescription(let sdes) = parsed.last else {
            Issue.record("expected RR then SDES")
            return
        }
        #expect(report.ssrc == 0xbeef)
        #expect(report.reportBlocks.map(\.ssrc) == [100, 200])
        #expect(sdes.cname(of: 0xbeef) == "engage-bot")

        // Nothing new heard: an empty RR still opens the compound.
        let quiet = RTCPCompound.receiverReport(
            ssrc: 0xbeef, cname: "engage-bot", statistics: &statistics, at: .seconds(2))
        #expect(quiet.first == .receiverReport(ReceiverReport(ssrc: 0xbeef)))
    }

    @Test func moreThanThirtyOneSourcesSpillIntoASecondReceiverReport() {
        var statistics = (0..<40).map { ReceiverStatistics(ssrc: UInt32($0)) }
        for index in statistics.indices {
            statistics[index].record(sequenceNumber: 0, rtpTimestamp: 0, arrival: .zero, clockRate: 90000)
        }
        let packets = RTCPCompound.receiverReport(ssrc: 1, cname: "x", statistics: &statistics, at: .seconds(1))
        #expect(packets.count == 3)
        guard case .receiverReport(let first) = packets[0], case .receiverReport(let second) = packets[1] else {
            Issue.record("expected two RRs")
            return
        }
        #expect(first.reportBlocks.count == 31 && second.reportBlocks.count == 9)
    }
}
