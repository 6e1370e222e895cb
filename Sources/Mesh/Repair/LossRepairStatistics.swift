/// Counters of loss repair on one connection, both ways, for logs and the manifest.
public struct LossRepairStatistics: Sendable, Equatable, CustomStringConvertible {
    /// RTCP NACK messages we sent, and the sequence numbers they asked for (repeats included).
    public var nacksSent = 0
    public var packetsRequested = 0
    /// Packets we had asked for that then arrived.
    public var packetsRepaired = 0
    /// Packets given up on: asked too often, missing too long, or beyond the log's bound.
    public var packetsAbandoned = 0
    /// RTX packets that carried a packet (padding-only probes are not counted here).
    public var retransmissionsReceived = 0
    /// New streams beyond the bound, not logged.
    public var streamsRefused = 0
    /// Sequence numbers the peer asked us for, and how many of those we sent again.
    public var packetsAskedOfUs = 0
    public var retransmissionsSent = 0

    public init() {}

    public var description: String {
        "NACKs sent \(nacksSent) for \(packetsRequested) packets, repaired \(packetsRepaired), abandoned \(packetsAbandoned), "
            + "RTX received \(retransmissionsReceived); asked of us \(packetsAskedOfUs), resent \(retransmissionsSent)"
    }
}
