@testable import Mesh

/// The sans-IO surface the emulator drives.
protocol SansIOPeer {
    mutating func handlePacket(_ bytes: [UInt8], at time: Timestamp)
    mutating func handleTimeout(at time: Timestamp)
    mutating func pollTransmit() -> [UInt8]?
    var nextDeadline: Deadline? { get }
}

extension SCTPAssociation: SansIOPeer {}
extension DataChannels: SansIOPeer {}


/// Two peers joined by a lossy, reordering link on virtual time: each packet is lost with
/// `loss` probability, otherwise delivered after a random delay, so later packets can overtake.
struct VirtualLink<A: SansIOPeer, B: SansIOPeer> {
    var a: A
    var b: B
    var now = Timestamp.zero
    var loss: Double
    var delay: ClosedRange<Int64> = 10...40
    var rng: SplitMix64
    private var inFlight: [(at: Timestamp, order: Int, toB: Bool, bytes: [UInt8])] = []
    private var order = 0
    private(set) var packetsSent = 0
    private(set) var largestPacket = 0

    init(a: A, b: B, loss: Double, seed: UInt64) {
        self.a = a
        self.b = b
        self.loss = loss
        rng = SplitMix64(seed: seed)
    }

    /// Sends what both want to send, then advances to the next arrival or deadline.
    /// Returns false when nothing is left to happen.
    mutating func step() -> Bool {
        flush()
        let nextArrival = inFlight.map(\.at).min()
        let candidates = [nextArrival, a.nextDeadline?.at, b.nextDeadline?.at].compactMap { $0 }
        guard let next = candidates.min() else { return false }
        now = max(now, next)
        let due = inFlight.filter { $0.at <= now }.sorted { ($0.at, $0.order) < ($1.at, $1.order) }
        inFlight.removeAll { $0.at <= now }
        for packet in due {
            if packet.toB { b.handlePacket(packet.bytes, at: now) } else { a.handlePacket(packet.bytes, at: now) }
        }
        if let deadline = a.nextDeadline, deadline.at <= now { a.handleTimeout(at: now) }
        if let deadline = b.nextDeadline, deadline.at <= now { b.handleTimeout(at: now) }
        flush()
        return true
    }

    private mutating func flush() {
        while let bytes = a.pollTransmit() { carry(bytes, toB: true) }
        while let bytes = b.pollTransmit() { carry(bytes, toB: false) }
    }

    private mutating func carry(_ bytes: [UInt8], toB: Bool) {
        packetsSent += 1
        largestPacket = max(largestPacket, bytes.count)
        guard Double.random(in: 0..<1, using: &rng) >= loss else { return }
        let delay = Int64.random(in: delay, using: &rng)
        order += 1
        inFlight.append((now + .milliseconds(delay), order, toB, bytes))
    }
}
