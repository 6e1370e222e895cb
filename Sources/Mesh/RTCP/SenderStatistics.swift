/// What one of our own RTP sources has sent, to fill its SR (RFC 3550 section 6.4.1).
///
/// The SR ties an NTP wall-clock instant to an RTP timestamp so receivers can sync audio
/// with video; the wall clock comes in as a value, and the RTP timestamp for `now` is
/// projected from the last packet sent along the monotonic clock.
public struct SenderStatistics: Sendable {
    public let ssrc: UInt32
    public let clockRate: UInt32
    public private(set) var packetCount: UInt32 = 0
    /// Payload octets only, as RFC 3550 counts them.
    public private(set) var octetCount: UInt32 = 0
    private var lastSent: (rtpTimestamp: UInt32, at: Timestamp)?

    public init(ssrc: UInt32, clockRate: UInt32) {
        self.ssrc = ssrc
        self.clockRate = clockRate
    }

    public mutating func recordSent(rtpTimestamp: UInt32, payloadSize: Int, at now: Timestamp) {
        packetCount &+= 1
        octetCount &+= UInt32(truncatingIfNeeded: payloadSize)
        lastSent = (rtpTimestamp, now)
    }

    /// Nil until a packet has been sent: an SR without media to anchor it would mislead.
    public func makeSenderReport(ntpTime: NTPTime, at now: Timestamp, reportBlocks: [ReportBlock] = []) -> SenderReport?
    {
        guard let lastSent else { return nil }
        let elapsed = (now - lastSent.at).nanoseconds
        let units =
            elapsed / 1_000_000_000 &* Int64(clockRate) + elapsed % 1_000_000_000 * Int64(clockRate) / 1_000_000_000
        return SenderReport(
            ssrc: ssrc, ntpTime: ntpTime, rtpTimestamp: lastSent.rtpTimestamp &+ UInt32(truncatingIfNeeded: units),
            packetCount: packetCount, octetCount: octetCount, reportBlocks: reportBlocks)
    }
}
