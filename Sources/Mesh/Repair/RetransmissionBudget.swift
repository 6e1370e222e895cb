/// How many sequence numbers a peer may ask us to look up for retransmission, per second, sans-IO.
///
/// One NACK of a datagram's size names up to ~5,000 sequence numbers, and a peer can send thousands of
/// them a second: looking each up would keep the event loop every connection shares busy with one
/// peer's requests (measured: a hostile peer's NACK flood starved its own connection of consent checks
/// until ICE gave up). Our send history holds `SendHistory.defaultCapacity` packets per stream for
/// `SendHistory.defaultMaxAge`, so an honest receiver never needs more than a few times that per second.
/// Requests beyond the budget are refused whole (counted), never partly served.
public struct RetransmissionBudget: Sendable {
    /// Sequence numbers per second, and the most that may be asked at once.
    public static let perSecond = 4 * SendHistory.defaultCapacity

    private var available = RetransmissionBudget.perSecond
    private var refilledAt: Timestamp?

    public init() {}

    /// Whether `count` more lookups fit the budget at `now`; takes them when they do.
    public mutating func take(_ count: Int, at now: Timestamp) -> Bool {
        if let refilledAt {
            let elapsed = now - refilledAt
            if elapsed > .zero {
                // A second refills it all; longer idle times must not overflow the product.
                let seconds = min(elapsed.secondsValue, 1)
                let earned = Int((Double(Self.perSecond) * seconds).rounded(.down))
                if earned > 0 {
                    available = min(Self.perSecond, available &+ earned)
                    self.refilledAt = now
                }
            }
        } else {
            refilledAt = now
        }
        guard count <= available else { return false }
        available -= count
        return true
    }
}
