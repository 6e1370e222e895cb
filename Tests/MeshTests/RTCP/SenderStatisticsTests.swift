import Testing

@testable import Mesh

@Suite struct SenderStatisticsTests {
    @Test func noReportBeforeMediaIsSent() {
        let statistics = SenderStatistics(ssrc: 1, clockRate: 90000)
        #expect(statistics.makeSenderReport(ntpTime: NTPTime(rawValue: 1), at: .seconds(1)) == nil)
    }

    @Test func reportCountsPacketsAndProjectsTheRTPTimestamp() throws {
        var statistics = SenderStatistics(ssrc: 0xabc, clockRate: 90000)
        for index in 0..<30 {
            statistics.recordSent(
                rtpTimestamp: UInt32.max - 3000 &+ UInt32(index * 3000), payloadSize: 1000,
                at: .milliseconds(Int64(index) * 33))
        }
        let ntp = NTPTime(unixNanoseconds: 1_700_000_000_000_000_000)
        let block = ReportBlock(ssrc: 5)
        let report = try #require(
            statistics.makeSenderReport(ntpTime: ntp, at: .milliseconds(29 * 33 + 100), reportBlocks: [block]))
        #expect(report.packetCount == 30 && report.octetCount == 30_000)
        // 100 ms after the last packet at 90 kHz is 9000 ticks later, across the 32-bit wrap.
        #expect(report.rtpTimestamp == UInt32.max - 3000 &+ 29 * 3000 &+ 9000)
        #expect(report.ntpTime == ntp && report.reportBlocks == [block])
        #expect(try SenderReport.parse(report.serialize()) == report)
    }
}
