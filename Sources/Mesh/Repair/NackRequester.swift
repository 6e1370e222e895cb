/// Asks senders again for the RTP packets that did not arrive (generic NACK, RFC 4585 section 6.2.1), sans-IO.
///
/// Per media SSRC it keeps a receive log: the highest sequence number seen and the packets missing
/// below it. A missing packet is asked for once it has been missing longer than the reorder allowance
/// (so mere reordering costs no request), then again every round trip while it stays missing. It is
/// given up after `maxRequests`, or once it has been missing for `giveUpAfter`: by then the jitter
/// buffer has stopped waiting for it and a keyframe repairs the picture instead.
///
/// State is bounded: at most `maxStreams` streams and `maxMissing` missing packets per stream (a
/// longer run of loss keeps only its newest packets; older ones are left to a keyframe).
public struct NackRequester: Sendable {
    public struct Configuration: Sendable {
        public var reorderAllowance: Duration = .milliseconds(10)
        public var maxRequests = 10
        public var giveUpAfter: Duration = .seconds(1)
        public var maxMissing = 512
        public var maxStreams = 16
        /// Sequence numbers one NACK may carry; more wait for the next round, so one RTCP compound stays small.
        public var maxPerRequest = 256
        /// A jump further than this, either way, is a restarted stream rather than loss.
        public var restartDistance: UInt64 = 3000

        public init() {}
    }

    /// A packet missing from one stream.
    private struct Missing: Sendable {
        var sequence: UInt64
        var detectedAt: Timestamp
        /// When it may next be asked for (or given up).
        var dueAt: Timestamp
        var lastRequestAt: Timestamp?
        var requests = 0
    }

    private struct Stream: Sendable {
        var unwrapper = SequenceUnwrapper()
        /// In sequence order.
        var missing: [Missing] = []
    }

    /// What arrived was one we had asked for.
    public struct Repair: Sendable, Equatable {
        /// Request-to-arrival time when the packet was asked for once and came as a retransmission (RTX),
        /// so it cannot be the late original answering a later request (Karn's rule).
        public var roundTripSample: Duration?
    }

    public let configuration: Configuration
    public private(set) var statistics = LossRepairStatistics()
    private var streams: [UInt32: Stream] = [:]
    private var earliestDue: Timestamp?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var nextDeadline: Deadline? { earliestDue.map { Deadline(at: $0, reason: "NACK") } }

    /// Logs one received packet of `ssrc`; says whether it repaired a packet we had asked for.
    @discardableResult
    public mutating func received(ssrc: UInt32, sequenceNumber: UInt16, isRetransmission: Bool,
                                  at now: Timestamp) -> Repair? {
        guard var stream = streams[ssrc] ?? newStream(ssrc) else { return nil }
        defer { streams[ssrc] = stream }
        let previous = stream.unwrapper.highest
        let sequence = stream.unwrapper.unwrap(sequenceNumber)
        guard let highest = previous else { return nil }
        if sequence > highest {
            let jump = sequence - highest
            if jump > configuration.restartDistance {
                stream.missing.removeAll()
                return nil
            }
            let firstMissing = max(highest + 1, sequence - min(jump, UInt64(configuration.maxMissing) + 1) + 1)
            if firstMissing < sequence {
                let due = now + configuration.reorderAllowance
                for missing in firstMissing..<sequence {
                    stream.missing.append(Missing(sequence: missing, detectedAt: now, dueAt: due))
                }
                let excess = stream.missing.count - configuration.maxMissing
                if excess > 0 {
                    statistics.packetsAbandoned += excess
                    stream.missing.removeFirst(excess)
                }
                earliestDue = min(earliestDue ?? due, due)
            }
            return nil
        }
        if highest - sequence > configuration.restartDistance {
            // The sender started over further back: a new log from here.
            stream = Stream()
            _ = stream.unwrapper.unwrap(sequenceNumber)
            return nil
        }
        // Late, a duplicate, or a retransmission: fills a hole if it is one.
        guard let index = Self.index(of: sequence, in: stream.missing) else { return nil }
        let filled = stream.missing.remove(at: index)
        guard filled.requests > 0 else { return nil }
        statistics.packetsRepaired += 1
        var sample: Duration?
        if isRetransmission, filled.requests == 1, let asked = filled.lastRequestAt { sample = now - asked }
        return Repair(roundTripSample: sample)
    }

    /// The NACKs due at `now`, one per stream, and the state moved on as if they were sent.
    public mutating func requests(senderSSRC: UInt32, roundTrip: RoundTrip, at now: Timestamp) -> [TransportLayerNack] {
        guard let earliestDue, earliestDue <= now else { return [] }
        let retry = roundTrip.retryInterval
        var nacks: [TransportLayerNack] = []
        var nextDue: Timestamp?
        for ssrc in streams.keys.sorted() {
            guard var stream = streams[ssrc] else { continue }
            var lost: [UInt16] = []
            var kept: [Missing] = []
            kept.reserveCapacity(stream.missing.count)
            for var entry in stream.missing {
                if entry.dueAt <= now {
                    if entry.requests >= configuration.maxRequests || now - entry.detectedAt >= configuration.giveUpAfter {
                        statistics.packetsAbandoned += 1
                        continue
                    }
                    if lost.count < configuration.maxPerRequest {
                        lost.append(UInt16(truncatingIfNeeded: entry.sequence))
                        entry.requests += 1
                        entry.lastRequestAt = now
                        entry.dueAt = now + retry
                    }
                }
                nextDue = min(nextDue ?? entry.dueAt, entry.dueAt)
                kept.append(entry)
            }
            stream.missing = kept
            streams[ssrc] = stream
            if !lost.isEmpty {
                statistics.nacksSent += 1
                statistics.packetsRequested += lost.count
                nacks.append(TransportLayerNack(senderSSRC: senderSSRC, mediaSSRC: ssrc, lost: lost))
            }
        }
        self.earliestDue = nextDue
        return nacks
    }

    /// Packets of `ssrc` currently missing and still asked for, oldest first.
    public func missing(ssrc: UInt32) -> [UInt16] {
        streams[ssrc]?.missing.map { UInt16(truncatingIfNeeded: $0.sequence) } ?? []
    }

    private mutating func newStream(_ ssrc: UInt32) -> Stream? {
        guard streams.count < configuration.maxStreams else {
            statistics.streamsRefused += 1
            return nil
        }
        return Stream()
    }

    private static func index(of sequence: UInt64, in missing: [Missing]) -> Int? {
        var low = 0, high = missing.count
        while low < high {
            let middle = (low + high) / 2
            if missing[middle].sequence < sequence { low = middle + 1 } else { high = middle }
        }
        return low < missing.count && missing[low].sequence == sequence ? low : nil
    }
}
