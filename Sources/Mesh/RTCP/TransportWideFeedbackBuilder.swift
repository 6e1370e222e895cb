/// Turns arrivals of packets carrying the transport-wide sequence number extension into
/// periodic TWCC feedback, which is what lets a Chromium sender raise its bitrate to us.
///
/// Sans-IO: `record` every arrival; when `nextDeadline` passes, call `feedback(at:)` and
/// send what it returns. Late packets are reported even after their neighbours were:
/// the window moves back to them and arrivals kept from recent feedback are sent again,
/// as libwebrtc's receiver does, since a packet reported lost makes the sender back off.
public struct TransportWideFeedbackBuilder: Sendable {
    /// Arrivals are kept this long after being reported, to re-report around late packets.
    static let history = Duration.milliseconds(500)
    /// Keeps each feedback packet well under an MTU: at most ~300 chunk bytes and 800 delta bytes.
    static let maxStatusesPerPacket = 1000
    static let maxReceivedPerPacket = 400

    public let senderSSRC: UInt32
    public let mediaSSRC: UInt32
    public let interval: Duration

    /// Arrival of each unwrapped sequence number not yet forgotten.
    private var arrivals: [Int64: Timestamp] = [:]
    /// The lowest key of `arrivals`, kept as they change: a peer whose every packet arrives "late" would
    /// otherwise make each one search them all, on the event loop every connection shares.
    private var lowestArrival: Int64?
    private var highest: Int64?
    /// First sequence number the next feedback starts from.
    private var windowStart: Int64?
    /// Highest sequence number any feedback has covered so far.
    private var reportedHighest: Int64?
    private var lastFeedback: Timestamp?
    private var feedbackPacketCount: UInt8 = 0

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, interval: Duration = .milliseconds(100)) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.interval = interval
    }

    /// When feedback is due; nil while nothing waits to be reported.
    public var nextDeadline: Deadline? {
        guard let windowStart, let highest, windowStart <= highest, let lastFeedback else { return nil }
        return Deadline(at: lastFeedback + interval, reason: "transport-cc feedback")
    }

    public mutating func record(transportSequenceNumber: UInt16, arrival: Timestamp) {
        let sequence = unwrap(transportSequenceNumber)
        guard arrivals[sequence] == nil else { return }
        if let windowStart, sequence < windowStart {
            if let reportedHighest, sequence <= reportedHighest {
                // Re-reporting is honest only while the arrivals it repeats are still known.
                guard let lowestArrival, sequence > lowestArrival else { return }
            }
            self.windowStart = sequence
        }
        if windowStart == nil { windowStart = sequence }
        if lastFeedback == nil { lastFeedback = arrival }
        arrivals[sequence] = arrival
        lowestArrival = min(lowestArrival ?? sequence, sequence)
        highest = max(highest ?? sequence, sequence)
    }

    /// The feedback due at `now`, empty when it is not yet due.
    public mutating func feedback(at now: Timestamp) -> [TransportWideCongestionControl] {
        guard let deadline = nextDeadline, deadline.at <= now else { return [] }
        return flush(at: now)
    }

    /// All pending feedback now, due or not (e.g. to piggyback on a report).
    public mutating func flush(at now: Timestamp) -> [TransportWideCongestionControl] {
        guard var start = windowStart, let highest else { return [] }
        var packets: [TransportWideCongestionControl] = []
        let received = arrivals.keys.filter { $0 >= start }.sorted()
        var next = received.startIndex
        while next < received.endIndex {
            // Loss runs longer than a packet's worth mean a restart or garbage: skip ahead.
            if received[next] - start >= Int64(Self.maxStatusesPerPacket) { start = received[next] }
            var statuses: [TransportWideCongestionControl.PacketStatus] = []
            let first = arrivals[received[next]] ?? now
            let referenceTicks = Self.floorDivide(first.nanoseconds, 64_000_000)
            var previousTicks = referenceTicks * 256
            var receivedCount = 0
            var sequence = start
            while next < received.endIndex, received[next] - start < Int64(Self.maxStatusesPerPacket),
                receivedCount < Self.maxReceivedPerPacket
            {
                let arrivalTicks = Self.floorDivide(arrivals[received[next]]?.nanoseconds ?? 0, 250_000)
                let delta = arrivalTicks - previousTicks
                // A delta beyond 16 bits starts a new packet with its own reference time.
                guard let wireDelta = Int16(exactly: delta) else { break }
                statuses.append(contentsOf: repeatElement(.notReceived, count: Int(received[next] - sequence)))
                statuses.append(.received(delta: wireDelta))
                previousTicks = arrivalTicks
                receivedCount += 1
                sequence = received[next] + 1
                next += 1
            }
            packets.append(
                TransportWideCongestionControl(
                    senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: UInt16(truncatingIfNeeded: start),
                    referenceTime: UInt32(truncatingIfNeeded: referenceTicks) & 0xff_ffff,
                    feedbackPacketCount: feedbackPacketCount, statuses: statuses))
            feedbackPacketCount &+= 1
            start = sequence
        }
        windowStart = highest + 1
        reportedHighest = highest
        lastFeedback = now
        arrivals = arrivals.filter { $0.value + Self.history >= now }
        lowestArrival = arrivals.keys.min()
        return packets
    }

    private mutating func unwrap(_ sequence: UInt16) -> Int64 {
        guard let highest else { return Int64(sequence) }
        let delta = Int16(bitPattern: sequence &- UInt16(truncatingIfNeeded: highest))
        return highest + Int64(delta)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}
