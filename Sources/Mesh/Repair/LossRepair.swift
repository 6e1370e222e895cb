/// A connection's loss repair on the receive side, sans-IO: which packets to ask for again (NACK), the
/// round trip that paces those requests, and the counters. `PeerConnection` feeds it every media packet
/// and sends what it says is due; the send side (answering NACKs) lives with each `OutgoingTrack`.
struct LossRepair: Sendable {
    /// The round trip is announced (for the recorder's jitter buffer) at most this often.
    static let announceInterval: Duration = .seconds(1)

    private(set) var requester = NackRequester()
    private(set) var roundTrip = RoundTripEstimator()
    /// Counted by the connection: what came in as RTX and what we resent.
    var counters = LossRepairStatistics()
    private var lastAnnounced: Timestamp?

    var statistics: LossRepairStatistics {
        var merged = counters
        let requested = requester.statistics
        merged.nacksSent = requested.nacksSent
        merged.packetsRequested = requested.packetsRequested
        merged.packetsRepaired = requested.packetsRepaired
        merged.packetsAbandoned = requested.packetsAbandoned
        merged.streamsRefused = requested.streamsRefused
        return merged
    }

    var nextDeadline: Deadline? { requester.nextDeadline }

    /// Logs a media packet; returns a round trip to announce when a repair measured one.
    mutating func received(_ packet: RTPPacket, isRetransmission: Bool, at now: Timestamp) -> RoundTrip? {
        if isRetransmission { counters.retransmissionsReceived += 1 }
        let repair = requester.received(ssrc: packet.ssrc, sequenceNumber: packet.sequenceNumber,
                                        isRetransmission: isRetransmission, at: now)
        guard let sample = repair?.roundTripSample else { return nil }
        return measured(sample, at: now)
    }

    /// A round trip from a report block on a stream we send; returns the estimate when it is time to announce it.
    mutating func measured(_ sample: Duration, at now: Timestamp) -> RoundTrip? {
        roundTrip.add(sample)
        guard let measured = roundTrip.measured else { return nil }
        if let lastAnnounced, now - lastAnnounced < Self.announceInterval { return nil }
        lastAnnounced = now
        return measured
    }

    /// The NACKs due now, ready to follow a receiver report in one compound.
    mutating func dueRequests(senderSSRC: UInt32, at now: Timestamp) -> [RTCPPacket] {
        requester.requests(senderSSRC: senderSSRC, roundTrip: roundTrip.current, at: now).map { .transportLayerNack($0) }
    }
}
