/// Reception statistics about one source, carried in SR and RR (RFC 3550 section 6.4.1).
///
///     +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///     |                 SSRC_1 (SSRC of first source)                 |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     | fraction lost |       cumulative number of packets lost       |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |           extended highest sequence number received           |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                      interarrival jitter                      |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                         last SR (LSR)                         |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                   delay since last SR (DLSR)                  |
///     +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
public struct ReportBlock: Equatable, Sendable {
    public static let size = 24
    /// The 5-bit count field of an SR or RR.
    public static let maximumPerPacket = 31
    /// The cumulative loss field is a signed 24-bit integer: duplicates can make it negative.
    public static let cumulativeLostRange: ClosedRange<Int32> = -0x80_0000...0x7f_ffff

    public var ssrc: UInt32
    /// Lost fraction since the previous report, in 1/256 units.
    public var fractionLost: UInt8
    /// Clamped to `cumulativeLostRange` when written.
    public var cumulativeLost: Int32
    public var extendedHighestSequenceNumber: UInt32
    /// In RTP timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the NTP time in the last SR from this source, 0 if none.
    public var lastSenderReport: UInt32
    /// Delay since that SR arrived, in 1/65536 s, 0 if none.
    public var delaySinceLastSenderReport: UInt32

    public init(
        ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0, extendedHighestSequenceNumber: UInt32 = 0,
        jitter: UInt32 = 0, lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    public static func parse(_ reader: inout ByteReader) throws -> ReportBlock {
        let ssrc = try reader.readUInt32()
        let lossWord = try reader.readUInt32()
        // Sign-extend the 24-bit field by shifting it to the top and back.
        let cumulative = Int32(bitPattern: lossWord << 8) >> 8
        return ReportBlock(
            ssrc: ssrc, fractionLost: UInt8(lossWord >> 24), cumulativeLost: cumulative,
            extendedHighestSequenceNumber: try reader.readUInt32(), jitter: try reader.readUInt32(),
            lastSenderReport: try reader.readUInt32(), delaySinceLastSenderReport: try reader.readUInt32())
    }

    public func write(into writer: inout ByteWriter) {
        let lost = min(max(cumulativeLost, Self.cumulativeLostRange.lowerBound), Self.cumulativeLostRange.upperBound)
        writer.write(ssrc)
        writer.write(UInt32(fractionLost) << 24 | UInt32(bitPattern: lost) & 0xff_ffff)
        writer.write(extendedHighestSequenceNumber)
        writer.write(jitter)
        writer.write(lastSenderReport)
        writer.write(delaySinceLastSenderReport)
    }

    /// Round-trip time seen by the sender of the SR this block answers (RFC 3550 section 6.4.1):
    /// arrival − LSR − DLSR, all in 1/65536 s. Nil when the block answers no SR.
    public func roundTripTime(arrivalNTP: NTPTime) -> Duration? {
        guard lastSenderReport != 0 else { return nil }
        let units = Int64(Int32(bitPattern: arrivalNTP.middle32Bits &- lastSenderReport &- delaySinceLastSenderReport))
        return .nanoseconds(max(0, units) * 1_000_000_000 / 65536)
    }
}

/// A 64-bit NTP timestamp: seconds since 1900 in the high word, the fraction in the low word.
/// The edge reads the wall clock and passes it in; Mesh never does.
public struct NTPTime: Hashable, Sendable {
    /// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
    public static let unixEpochOffset: UInt64 = 2_208_988_800

    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// From nanoseconds since the Unix epoch.
    public init(unixNanoseconds: Int64) {
        let seconds = UInt64(max(0, unixNanoseconds) / 1_000_000_000)
        let nanos = UInt64(max(0, unixNanoseconds) % 1_000_000_000)
        rawValue = (seconds &+ Self.unixEpochOffset) << 32 | (nanos << 32) / 1_000_000_000
    }

    /// The compact form used for LSR and round-trip computation.
    public var middle32Bits: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 16) }
}
