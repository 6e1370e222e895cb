/// The packets we sent recently on one stream, to answer the peer's NACKs (RFC 4585) with the same
/// media again, sans-IO.
///
/// A ring of slots indexed by sequence number, so memory is bounded whatever the bitrate: it starts at
/// `initialCapacity` slots and doubles only when a packet would push out one younger than `maxAge`, up to
/// `capacity`. A connection sending our tile and audio needs a few dozen slots for a second of packets;
/// allocating all 1,024 up front cost ~100 KB per stream, a fifth of the recorder's memory per participant
/// (docs/architecture.md, memory).
///
/// A packet older than `maxAge` is not sent again (the receiver stopped waiting for it), and none is sent
/// more than `maxResends` times (as often as a receiver asks, `NackRequester.Configuration.maxRequests`),
/// so a peer repeating NACKs cannot make us amplify its traffic beyond that.
public struct SendHistory: Sendable {
    public static let defaultCapacity = 1024
    static let initialCapacity = 32
    public static let defaultMaxAge: Duration = .seconds(1)
    public static let maxResends = 10

    private struct Entry: Sendable {
        var packet: RTPPacket
        var sentAt: Timestamp
        var resends = 0
    }

    private var slots: [Entry?]
    private var mask: Int
    /// The most slots the ring grows to (a power of two).
    private let maxSlots: Int
    public let maxAge: Duration

    public init(capacity: Int = defaultCapacity, maxAge: Duration = defaultMaxAge) {
        maxSlots = SendHistory.powerOfTwo(atLeast: min(max(capacity, 1), 1 << 16))
        let size = min(maxSlots, SendHistory.initialCapacity)
        slots = Array(repeating: nil, count: size)
        mask = size - 1
        self.maxAge = maxAge
    }

    /// How many slots the ring has now.
    var slotCount: Int { slots.count }

    public mutating func record(_ packet: RTPPacket, at now: Timestamp) {
        var index = Int(packet.sequenceNumber) & mask
        if slots.count < maxSlots, let held = slots[index], held.packet.sequenceNumber != packet.sequenceNumber,
           now - held.sentAt <= maxAge {
            grow()
            index = Int(packet.sequenceNumber) & mask
        }
        slots[index] = Entry(packet: packet, sentAt: now)
    }

    private mutating func grow() {
        let size = slots.count * 2
        var grown = [Entry?](repeating: nil, count: size)
        for case let entry? in slots { grown[Int(entry.packet.sequenceNumber) & (size - 1)] = entry }
        slots = grown
        mask = size - 1
    }

    private static func powerOfTwo(atLeast count: Int) -> Int {
        var size = 1
        while size < count { size <<= 1 }
        return size
    }

    /// The packet sent with `sequenceNumber`, if it is still held and may be sent again; counts the resend.
    public mutating func resend(_ sequenceNumber: UInt16, at now: Timestamp) -> RTPPacket? {
        let index = Int(sequenceNumber) & mask
        guard var entry = slots[index], entry.packet.sequenceNumber == sequenceNumber,
              now - entry.sentAt <= maxAge, entry.resends < Self.maxResends
        else { return nil }
        entry.resends += 1
        slots[index] = entry
        return entry.packet
    }
}
