import Mesh

/// One sender's RTP clock tied to its capture (NTP) clock by its RTCP sender reports (RFC 3550 §6.4.1).
///
/// A sender report says "RTP timestamp R is NTP time N" for one SSRC; every SSRC of one sender
/// shares the NTP clock, which is what lets its audio and video be placed as they were captured
/// rather than as they happened to arrive. The newest report re-anchors the mapping, so a sender
/// whose RTP clock drifts a little against its NTP clock is followed report by report.
public struct CaptureClock: Sendable {
    /// A report this far from what the previous one predicted means the sender's clock jumped:
    /// the mapping starts afresh rather than bending the timeline to it.
    public static let jumpThresholdNanoseconds: Int64 = 1_000_000_000

    public let clockRate: UInt32
    private var anchor: (rtp: UInt32, ntpNanoseconds: Int64)?
    public private(set) var reports = 0
    public private(set) var jumps = 0

    public init(clockRate: UInt32) {
        self.clockRate = clockRate
    }

    public var isAnchored: Bool { anchor != nil }

    public mutating func senderReport(ntp: NTPTime, rtpTimestamp: UInt32) {
        let ntpNanoseconds = Self.nanoseconds(ntp)
        if let predicted = captureNanoseconds(rtpTimestamp: rtpTimestamp) {
            let (difference, overflow) = ntpNanoseconds.subtractingReportingOverflow(predicted)
            if overflow || difference.magnitude > UInt64(Self.jumpThresholdNanoseconds) { jumps += 1 }
        }
        anchor = (rtpTimestamp, ntpNanoseconds)
        reports += 1
    }

    /// The sender's capture time of `rtpTimestamp`, in nanoseconds on its NTP clock; nil before any report.
    /// RTP timestamps within ±2^31 ticks of the report (hours, at 90 kHz) map unambiguously.
    public func captureNanoseconds(rtpTimestamp: UInt32) -> Int64? {
        guard let anchor, clockRate > 0 else { return nil }
        let ticks = Int64(Int32(truncatingIfNeeded: rtpTimestamp &- anchor.rtp))
        // |ticks| < 2^31, so ticks * 10^9 < 2^61: no overflow.
        let elapsed = ticks * 1_000_000_000 / Int64(clockRate)
        let (capture, overflow) = anchor.ntpNanoseconds.addingReportingOverflow(elapsed)
        return overflow ? nil : capture
    }

    /// NTP's 32.32 fixed point as nanoseconds since 1900; at most 2^32 s, which Int64 holds.
    static func nanoseconds(_ ntp: NTPTime) -> Int64 {
        let seconds = Int64(ntp.rawValue >> 32)
        // Shifts bind tighter than multiplication in Swift: the product is taken first, explicitly.
        let fraction = ((ntp.rawValue & 0xFFFF_FFFF) * 1_000_000_000) >> 32
        return seconds * 1_000_000_000 + Int64(fraction)
    }
}
