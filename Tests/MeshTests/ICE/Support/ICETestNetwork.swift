import Testing
@testable import Mesh


/// Two ICE agents joined by an emulated network on virtual time: seeded loss and per-datagram
/// delay (so datagrams overtake each other), no sockets and no sleeping.
struct ICETestNetwork {
    var agents: [ICEAgent]
    var loss: Double = 0
    var delayMilliseconds: ClosedRange<Int64> = 1...1
    /// Drops every datagram while true: the peer has vanished.
    var silent = false
    var now: Timestamp = .zero
    var events: [[(at: Timestamp, event: ICEEvent)]]
    var delivered = 0
    /// Every datagram an agent sent, before loss: (time, sender index, datagram).
    var sent: [(at: Timestamp, from: Int, datagram: Datagram)] = []

    private var random: SplitMix64
    private var inFlight: [(at: Timestamp, sequence: Int, datagram: Datagram)] = []
    private var sequence = 0

    init(_ first: ICEAgent, _ second: ICEAgent, seed: UInt64 = 1) {
        agents = [first, second]
        events = [[], []]
        random = SplitMix64(seed: seed)
    }

    /// Exchanges candidates and credentials as the signalling would.
    static func connected(
        controllingAddresses: [TransportAddress], controlledAddresses: [TransportAddress], seed: UInt64 = 1,
        roles: (ICERole, ICERole) = (.controlling, .controlled)
    ) -> ICETestNetwork {
        var random = SplitMix64(seed: seed &* 7919)
        var first = ICEAgent(role: roles.0, localAddresses: controllingAddresses, random: SplitMix64(seed: random.next()))
        var second = ICEAgent(role: roles.1, localAddresses: controlledAddresses, random: SplitMix64(seed: random.next()))
        first.setRemote(ufrag: second.localCredentials.ufrag, pwd: second.localCredentials.pwd, candidates: second.localCandidates)
        second.setRemote(ufrag: first.localCredentials.ufrag, pwd: first.localCredentials.pwd, candidates: first.localCandidates)
        return ICETestNetwork(first, second, seed: seed)
    }

    func states(_ index: Int) -> [ICEConnectionState] {
        events[index].compactMap { if case .stateChanged(let state) = $0.event { state } else { nil } }
    }

    func firstTime(_ index: Int, of state: ICEConnectionState) -> Timestamp? {
        events[index].first { $0.event == .stateChanged(state) }?.at
    }

    mutating func run(for duration: Duration) { run(until: now + duration) }

    mutating func run(until end: Timestamp) {
        for _ in 0..<1_000_000 {
            flush()
            let candidates = [agents[0].nextDeadline?.at, agents[1].nextDeadline?.at, inFlight.map(\.at).min()]
            guard let next = candidates.compactMap({ $0 }).min(), next <= end else {
                now = end
                return
            }
            if next > now { now = next }
            let due = inFlight.filter { $0.at <= now }.sorted { ($0.at, $0.sequence) < ($1.at, $1.sequence) }
            inFlight.removeAll { $0.at <= now }
            for item in due {
                guard let target = agents.firstIndex(where: { $0.localAddresses.contains(item.datagram.destination) }) else { continue }
                delivered += 1
                agents[target].handleDatagram(item.datagram.bytes, from: item.datagram.source, to: item.datagram.destination, at: now)
            }
            for index in agents.indices {
                if let deadline = agents[index].nextDeadline, deadline.at <= now { agents[index].handleTimeout(at: now) }
            }
        }
        Issue.record("the network did not settle: a deadline keeps firing without progress")
    }

    private mutating func flush() {
        for index in agents.indices {
            while let datagram = agents[index].pollTransmit() {
                sent.append((now, index, datagram))
                send(datagram)
            }
            while let event = agents[index].pollEvent() { events[index].append((now, event)) }
        }
    }

    private mutating func send(_ datagram: Datagram) {
        guard !silent else { return }
        if loss > 0, Double(random.next() >> 11) / Double(1 << 53) < loss { return }
        let delay = Int64.random(in: delayMilliseconds, using: &random)
        sequence += 1
        inFlight.append((now + .milliseconds(delay), sequence, datagram))
    }
}
