/// When to send the next regular SR/RR compound.
///
/// RFC 3550 section 6.3 derives the interval from session bandwidth and membership, with a
/// 5 s floor; WebRTC endpoints use fixed intervals instead (libwebrtc: 1 s for video,
/// 5 s for audio), with the same randomization to 0.5–1.5 × so that peers that started
/// together do not report in lockstep. The randomness comes from a seed, so tests replay.
public struct RTCPReportScheduler: Sendable {
    public static let videoInterval = Duration.seconds(1)
    public static let audioInterval = Duration.seconds(5)

    public let interval: Duration
    public private(set) var nextDeadline: Deadline
    private var random: SplitMix64

    /// The first report goes out after half an interval (randomized too), as RFC 3550's
    /// initial halving suggests, so a new peer learns of us quickly.
    public init(interval: Duration = videoInterval, start: Timestamp, seed: UInt64) {
        self.interval = interval
        random = SplitMix64(seed: seed)
        nextDeadline = Deadline(at: start, reason: "RTCP report")
        nextDeadline.at = start + randomized(interval / 2)
    }

    public func isDue(at now: Timestamp) -> Bool { nextDeadline.at <= now }

    /// Records that a report went out at `now` and schedules the next one from there.
    public mutating func reportSent(at now: Timestamp) {
        nextDeadline.at = now + randomized(interval)
    }

    private mutating func randomized(_ base: Duration) -> Duration {
        // A uniform factor in [0.5, 1.5) from the top 53 bits.
        let factor = 0.5 + Double(random.next() >> 11) / Double(1 << 53)
        return .nanoseconds(Int64(Double(base.nanoseconds) * factor))
    }
}

extension RTCPCompound {
    /// The regular compound a receive-only peer sends: RR (one more per 31 sources) then
    /// SDES with our CNAME, reporting only on sources heard from since the last report.
    public static func receiverReport(
        ssrc: UInt32, cname: String, statistics: inout [ReceiverStatistics], at now: Timestamp
    ) -> [RTCPPacket] {
        var blocks: [ReportBlock] = []
        for index in statistics.indices where statistics[index].hasReceivedSinceLastReport {
            if let block = statistics[index].makeReportBlock(at: now) { blocks.append(block) }
        }
        var packets: [RTCPPacket] = []
        repeat {
            packets.append(.receiverReport(ReceiverReport(
                ssrc: ssrc, reportBlocks: Array(blocks.prefix(ReportBlock.maximumPerPacket)))))
            blocks.removeFirst(min(ReportBlock.maximumPerPacket, blocks.count))
        } while !blocks.isEmpty
        packets.append(.sourceDescription(SourceDescription(source: ssrc, cname: cname)))
        return packets
    }
}
