public enum ICERole: String, Sendable {
    case controlling, controlled
}

/// The states of `RTCIceConnectionState`, which is what the peers in the room react to.
public enum ICEConnectionState: String, Sendable {
    case new, checking, connected, completed, disconnected, failed, closed
}

public enum ICEEvent: Equatable, Sendable {
    case stateChanged(ICEConnectionState)
    case selectedPairChanged(remote: TransportAddress)
}

/// A sans-IO ICE agent (RFC 8445, full ICE, one component, UDP host candidates) with
/// consent freshness (RFC 7675).
///
/// The owner feeds it STUN datagrams (`handleDatagram`) and timeouts (`handleTimeout`), then
/// drains `pollTransmit()` and `pollEvent()` and sleeps until `nextDeadline`. It never reads a
/// clock: every `Timestamp` comes in from the owner, so tests run on virtual time.
///
/// Both roles run connectivity checks; the controlling agent nominates with regular
/// nomination (one USE-CANDIDATE check on the best valid pair), the controlled agent selects
/// the best pair the peer nominated once its own check on it has succeeded. Checks from the
/// peer are answered for as long as the agent is not closed, whatever its state.
public struct ICEAgent: Sendable {
    public struct Configuration: Sendable {
        /// RFC 8445 §14.2 Ta: one new check per interval.
        public var pacing: Duration = .milliseconds(50)
        /// First retransmission timeout of a check, doubled on each retransmission up to `maxRTO`.
        public var initialRTO: Duration = .milliseconds(250)
        public var maxRTO: Duration = .milliseconds(1600)
        /// Sends of one connectivity check before its pair fails (about 8 s with the defaults).
        public var maxCheckTransmissions = 7
        /// Sends of one consent request; each request covers one consent interval.
        public var maxConsentTransmissions = 4
        /// RFC 7675 §5.1: one consent request every 4–6 s (5 s ± 20%, uniformly random).
        public var consentInterval: ClosedRange<Duration> = .seconds(4) ... .seconds(6)
        /// No authenticated response for this long: `.disconnected` (recoverable).
        public var disconnectedAfter: Duration = .seconds(10)
        /// RFC 7675 §5.1: no authenticated response for this long: consent lost, `.failed`.
        public var consentTimeout: Duration = .seconds(30)
        /// How long the controlling agent waits for better pairs before nominating the best valid one.
        public var nominationTimeout: Duration = .milliseconds(500)
        /// RFC 8445 §6.1.2.5 suggests a limit of 100 pairs.
        public var maxPairs = 100

        public init() {}
    }

    public internal(set) var role: ICERole
    public let tieBreaker: UInt64
    public let localCredentials: ICECredentials
    public internal(set) var remoteCredentials: ICECredentials?
    /// The host addresses of the agent's socket(s); the first is preferred.
    public let localAddresses: [TransportAddress]
    public internal(set) var state: ICEConnectionState = .new
    public let configuration: Configuration

    var random: AnyRandomGenerator
    var remoteCandidates: [ICERemoteCandidate] = []
    var pairs: [ICECandidatePair] = []
    /// Pairs to check at the next pacing slot, ahead of ordinary checks (RFC 8445 §6.1.4.1).
    var triggered: [Int] = []
    var requests: [ICEOutstandingRequest] = []
    var lastPacedCheckAt: Timestamp?
    var selectedIndex: Int?
    var firstValidAt: Timestamp?
    var nextConsentAt: Timestamp?
    var lastConsentAt: Timestamp?
    var consentLost = false
    var now: Timestamp = .zero
    var transmits: [Datagram] = []
    var events: [ICEEvent] = []

    /// - Parameters:
    ///   - credentials: the local ufrag/pwd to put in the SDP; generated from `random` when nil.
    ///   - localAddresses: the address(es) of the agent's UDP socket, offered as host candidates.
    ///   - tieBreaker: for role conflicts (RFC 8445 §7.3.1.1); generated from `random` when nil.
    ///   - random: transaction IDs, tie-breaker, credentials and consent jitter; inject a seeded
    ///     generator for deterministic tests.
    public init(
        role: ICERole,
        credentials: ICECredentials? = nil,
        localAddresses: [TransportAddress],
        tieBreaker: UInt64? = nil,
        configuration: Configuration = Configuration(),
        random: some RandomNumberGenerator & Sendable = CryptoRandomGenerator()
    ) {
        var generator = AnyRandomGenerator(base: random)
        self.role = role
        self.localCredentials = credentials ?? ICECredentials.random(using: &generator)
        self.tieBreaker = tieBreaker ?? generator.next()
        self.localAddresses = localAddresses
        self.configuration = configuration
        self.random = generator
    }

    /// Fresh RFC 8839-compliant credentials from the system's CSPRNG.
    public static func randomCredentials() -> ICECredentials {
        var generator = CryptoRandomGenerator()
        return ICECredentials.random(using: &generator)
    }

    // MARK: - Candidates

    /// The host candidates to signal, one per local address.
    public var localCandidates: [ICECandidate] {
        localAddresses.indices.map { index in
            let address = localAddresses[index]
            return ICECandidate(
                foundation: String(Crypto.crc32(Array("host udp \(address.host)".utf8))),
                priority: localPriority(index), address: address.host, port: address.port, kind: .host)
        }
    }

    func localPriority(_ index: Int) -> UInt32 {
        ICECandidate.priority(kind: .host, localPreference: UInt16(clamping: 65535 - index))
    }

    /// Sets the peer's credentials and candidates from its session description; checking starts
    /// at the next `handleTimeout`. A second call with other credentials is not an ICE restart:
    /// restart by creating a new agent.
    public mutating func setRemote(ufrag: String, pwd: String, candidates: [ICECandidate]) {
        guard state != .closed else { return }
        remoteCredentials = ICECredentials(ufrag: ufrag, pwd: pwd)
        for candidate in candidates { addRemoteCandidate(candidate) }
        if state == .new { setState(.checking) }
    }

    /// Adds one signalled candidate (trickle, or end-of-candidates in pieces). TCP candidates,
    /// mDNS names, RTCP components and unknown address families are skipped: this agent checks UDP only.
    public mutating func addRemoteCandidate(_ candidate: ICECandidate) {
        guard state != .closed, candidate.isUsable, let address = candidate.transportAddress else { return }
        addRemote(address: address, priority: candidate.priority, kind: candidate.kind)
    }

    @discardableResult
    mutating func addRemote(address: TransportAddress, priority: UInt32, kind: ICECandidate.Kind) -> Bool {
        if let existing = remoteCandidates.firstIndex(where: { $0.address == address }) {
            // RFC 8445 §7.3.1.3: a signalled candidate replaces the peer-reflexive one learned earlier.
            if remoteCandidates[existing].kind == .peerReflexive, kind != .peerReflexive {
                remoteCandidates[existing].kind = kind
                remoteCandidates[existing].priority = priority
                for index in pairs.indices where pairs[index].remote == address { pairs[index].remotePriority = priority }
            }
            return false
        }
        // Learned candidates cost memory per spoofable source address; bound them like the pairs.
        guard remoteCandidates.count < configuration.maxPairs else { return false }
        remoteCandidates.append(ICERemoteCandidate(address: address, priority: priority, kind: kind))
        for localIndex in localAddresses.indices where localAddresses[localIndex].family == address.family {
            _ = pairIndex(localIndex: localIndex, remote: address, remotePriority: priority)
        }
        return true
    }

    /// The pair for (local, remote), created in the waiting state if new and the checklist has room.
    mutating func pairIndex(localIndex: Int, remote: TransportAddress, remotePriority: UInt32) -> Int? {
        let local = localAddresses[localIndex]
        if let index = pairs.firstIndex(where: { $0.local == local && $0.remote == remote }) { return index }
        guard pairs.count < configuration.maxPairs else { return nil }
        pairs.append(ICECandidatePair(
            local: local, localPriority: localPriority(localIndex), remote: remote, remotePriority: remotePriority))
        return pairs.count - 1
    }

    // MARK: - Outputs

    public mutating func pollTransmit() -> Datagram? {
        transmits.isEmpty ? nil : transmits.removeFirst()
    }

    public mutating func pollEvent() -> ICEEvent? {
        events.isEmpty ? nil : events.removeFirst()
    }

    /// Where media and DTLS go; nil until a pair is selected, and again once consent is lost or the agent closed.
    public var selectedRemote: TransportAddress? {
        guard let selectedIndex, !consentLost, state != .closed else { return nil }
        return pairs[selectedIndex].remote
    }

    /// The local address of the selected pair (the socket to send from).
    public var selectedLocal: TransportAddress? {
        guard let selectedIndex, !consentLost, state != .closed else { return nil }
        return pairs[selectedIndex].local
    }

    public var nextDeadline: Deadline? {
        guard state != .closed else { return nil }
        // Asked after every datagram a connection handles: no arrays, no copies.
        var retransmitAt: Timestamp?
        if !requests.isEmpty {
            for request in requests where retransmitAt.map({ request.nextAt < $0 }) ?? true { retransmitAt = request.nextAt }
        }
        var earliest = retransmitAt.map { Deadline(at: $0, reason: "ICE retransmit") }
        earliest = Deadline.earlier(earliest, nextConsentAt.map { Deadline(at: $0, reason: "ICE consent check") })
        if hasPacedWork {
            let slot = lastPacedCheckAt.map { $0 + configuration.pacing } ?? now
            earliest = Deadline.earlier(earliest, Deadline(at: slot, reason: "ICE check pacing"))
        }
        if selectedIndex != nil, !consentLost, let lastConsentAt {
            earliest = Deadline.earlier(earliest, Deadline(at: lastConsentAt + configuration.consentTimeout, reason: "ICE consent expiry"))
            if state == .connected || state == .completed {
                earliest = Deadline.earlier(earliest, Deadline(at: lastConsentAt + configuration.disconnectedAfter, reason: "ICE consent silence"))
            }
        }
        if awaitingNomination, let firstValidAt {
            earliest = Deadline.earlier(earliest, Deadline(at: firstValidAt + configuration.nominationTimeout, reason: "ICE nomination"))
        }
        return earliest
    }

    // MARK: - Inputs

    public mutating func handleTimeout(at time: Timestamp) {
        advance(to: time)
        drive()
    }

    /// Ends the agent: no more checks, answers or events after `.closed`.
    public mutating func close() {
        guard state != .closed else { return }
        setState(.closed)
        requests.removeAll()
        triggered.removeAll()
        transmits.removeAll()
        nextConsentAt = nil
    }

    mutating func advance(to time: Timestamp) {
        if time > now { now = time }
    }

    mutating func setState(_ newState: ICEConnectionState) {
        guard newState != state else { return }
        state = newState
        events.append(.stateChanged(newState))
    }

    mutating func transmit(_ bytes: [UInt8], from local: TransportAddress, to remote: TransportAddress) {
        transmits.append(Datagram(bytes: bytes, source: local, destination: remote))
    }
}
