/// A remote candidate the agent can check: signalled, or learned from a check (peer-reflexive).
struct ICERemoteCandidate: Sendable {
    var address: TransportAddress
    var priority: UInt32
    var kind: ICECandidate.Kind
}

/// One entry of the checklist (RFC 8445 §6.1.2). Frozen is not modelled: with a single
/// component and a single data stream every foundation is checked at once anyway.
struct ICECandidatePair: Sendable {
    enum State: Sendable { case waiting, inProgress, succeeded, failed }

    let local: TransportAddress
    let localPriority: UInt32
    let remote: TransportAddress
    var remotePriority: UInt32
    var state: State = .waiting
    /// Selectable: nominated by us (controlling) or by the peer with our own check succeeded (controlled).
    var nominated = false
    /// Controlled side: the peer sent USE-CANDIDATE here; it counts once our own check succeeds.
    var remoteNominated = false
    /// Controlling side: a USE-CANDIDATE check is queued or in flight.
    var nominating = false

    init(local: TransportAddress, localPriority: UInt32, remote: TransportAddress, remotePriority: UInt32) {
        self.local = local
        self.localPriority = localPriority
        self.remote = remote
        self.remotePriority = remotePriority
    }

    /// RFC 8445 §6.1.2.3: 2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0), G being the controlling side's.
    /// Priorities are capped at the RFC's 2^31−1 so that a hostile PRIORITY cannot overflow the sum.
    func priority(localIsControlling: Bool) -> UInt64 {
        let cap: UInt32 = 0x7FFF_FFFF
        let controlling = UInt64(min(localIsControlling ? localPriority : remotePriority, cap))
        let controlled = UInt64(min(localIsControlling ? remotePriority : localPriority, cap))
        return (min(controlling, controlled) << 32) + 2 * max(controlling, controlled) + (controlling > controlled ? 1 : 0)
    }
}

/// A binding request of ours waiting for its response.
struct ICEOutstandingRequest: Sendable {
    enum Purpose: Sendable, Equatable {
        case connectivity
        /// A check carrying USE-CANDIDATE.
        case nomination
        /// RFC 7675 consent freshness on the selected pair.
        case consent
    }

    let transactionID: STUNTransactionID
    let pairIndex: Int
    let bytes: [UInt8]
    let purpose: Purpose
    /// On a 487 the agent switches away from the role it claimed in this request (RFC 8445 §7.2.5.1).
    let sentAsControlling: Bool
    let maxTransmissions: Int
    var transmissions: Int
    var rto: Duration
    /// When to retransmit, or to give up once `transmissions` reached the maximum.
    var nextAt: Timestamp
}
