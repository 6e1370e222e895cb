/// What we know about one remote RTP source, to fill the report block about it
/// (RFC 3550 appendix A.1 sequence validation, A.3 loss, A.8 jitter).
///
/// Sans-IO: arrivals and report times come in as `Timestamp`s.
public struct ReceiverStatistics: Sendable {
    /// A forward jump further than this is taken for a restart, not loss (A.1).
    static let maxDropout: UInt16 = 3000
    /// Packets this far behind the highest are late or duplicates rather than a restart (A.1).
    static let maxMisorder: UInt16 = 100

    public let ssrc: UInt32

    private var started = false
    private var baseSequence: UInt32 = 0
    private var maxSequence: UInt16 = 0
    /// Wraps of the 16-bit sequence number, shifted left 16 bits.
    private var cycles: UInt32 = 0
    /// After a big jump, the sequence number that would confirm the stream restarted.
    private var badSequence: UInt32?
    private var received: UInt32 = 0
    private var expectedPrior: UInt32 = 0
    private var receivedPrior: UInt32 = 0
    private var lastTransit: UInt32?
    /// Interarrival jitter scaled by 16, so the 1/16 gain works in integers (A.8).
    private var scaledJitter: Int64 = 0
    private var lastSenderReport: (middle32Bits: UInt32, arrival: Timestamp)?
    private var receivedSinceReport = false

    public init(ssrc: UInt32) { self.ssrc = ssrc }

    /// Highest sequence number seen, with its wrap count in the upper 16 bits.
    public var extendedHighestSequenceNumber: UInt32 { cycles &+ UInt32(maxSequence) }
    /// Packets counted as received, duplicates included (A.3 counts them too).
    public var packetsReceived: UInt32 { received }
    /// Whether a packet arrived since the last report block, which RFC 3550 6.4 asks for
    /// before reporting on a source.
    public var hasReceivedSinceLastReport: Bool { receivedSinceReport }
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32 { UInt32(clamping: scaledJitter >> 4) }

    /// Counts one RTP packet from this source. Returns false when the packet does not fit the
    /// sequence (a big jump not yet confirmed by its successor); it is then not counted.
    @discardableResult
    public mutating func record(
        sequenceNumber: UInt16, rtpTimestamp: UInt32, arrival: Timestamp, clockRate: UInt32
    ) -> Bool {
        guard updateSequence(sequenceNumber) else { return false }
        received &+= 1
        receivedSinceReport = true
        updateJitter(rtpTimestamp: rtpTimestamp, arrival: arrival, clockRate: clockRate)
        return true
    }

    /// Notes an SR from this source so the next block can carry LSR and DLSR.
    public mutating func recordSenderReport(ntpTime: NTPTime, arrival: Timestamp) {
        lastSenderReport = (ntpTime.middle32Bits, arrival)
    }

    /// The block describing this source at `now`; resets the interval behind "fraction lost".
    /// Nil before the first packet.
    public mutating func makeReportBlock(at now: Timestamp) -> ReportBlock? {
        guard started else { return nil }
        let extendedMax = extendedHighestSequenceNumber
        let expected = Int64(extendedMax) - Int64(baseSequence) + 1
        let lost = expected - Int64(received)
        let expectedInterval = expected - Int64(expectedPrior)
        let receivedInterval = Int64(received) - Int64(receivedPrior)
        let lostInterval = expectedInterval - receivedInterval
        expectedPrior = UInt32(truncatingIfNeeded: expected)
        receivedPrior = received
        receivedSinceReport = false
        let fraction: UInt8 =
            expectedInterval == 0 || lostInterval <= 0 ? 0 : UInt8(clamping: (lostInterval << 8) / expectedInterval)

        var block = ReportBlock(
            ssrc: ssrc, fractionLost: fraction,
            cumulativeLost: Int32(clamping: lost), extendedHighestSequenceNumber: extendedMax, jitter: jitter)
        if let lastSenderReport {
            block.lastSenderReport = lastSenderReport.middle32Bits
            // DLSR counts 1/65536 s.
            let delay = max(0, (now - lastSenderReport.arrival).nanoseconds)
            block.delaySinceLastSenderReport = UInt32(
                clamping: delay / 1_000_000_000 * 65536 + delay % 1_000_000_000 * 65536 / 1_000_000_000)
        }
        return block
    }

    private mutating func restart(at sequence: UInt16) {
        baseSequence = UInt32(sequence)
        maxSequence = sequence
        cycles = 0
        badSequence = nil
        received = 0
        expectedPrior = 0
        receivedPrior = 0
    }

    private mutating func updateSequence(_ sequence: UInt16) -> Bool {
        guard started else {
            started = true
            restart(at: sequence)
            return true
        }
        let delta = sequence &- maxSequence
        if delta < Self.maxDropout {
            if sequence < maxSequence { cycles &+= 1 << 16 }
            maxSequence = sequence
        } else if delta <= UInt16.max - Self.maxMisorder {
            // A jump too far to be loss: believe it only when the next packet follows it.
            if badSequence == UInt32(sequence) {
                restart(at: sequence)
            } else {
                badSequence = UInt32(sequence &+ 1)
                return false
            }
        }
        // Otherwise a duplicate or a late packet: counted, without moving the highest.
        return true
    }

    private mutating func updateJitter(rtpTimestamp: UInt32, arrival: Timestamp, clockRate: UInt32) {
        // Transit times are only ever differenced, so both clocks may wrap freely.
        let nanos = arrival.nanoseconds
        let seconds = nanos / 1_000_000_000
        let fraction = nanos % 1_000_000_000
        let arrivalUnits =
            UInt32(truncatingIfNeeded: seconds &* Int64(clockRate))
            &+ UInt32(truncatingIfNeeded: fraction * Int64(clockRate) / 1_000_000_000)
        let transit = arrivalUnits &- rtpTimestamp
        defer { lastTransit = transit }
        guard let lastTransit else { return }
        let difference = Int64(Int32(bitPattern: transit &- lastTransit)).magnitude
        scaledJitter += Int64(difference) - ((scaledJitter + 8) >> 4)
    }
}
