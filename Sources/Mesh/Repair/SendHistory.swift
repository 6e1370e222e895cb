/// The packets we sent recently on one stream, to answer the peer's NACKs (RFC 4585) with the same
/// media again, sans-IO.
///
/// A ring of `capacity` slots indexed by sequence number, so memory is bounded whatever the bitrate;
/// a packet older than `maxAge` is not sent again (the receiver stopped waiting for it), and none is
/// sent more than `maxResends` times (as often as a receiver asks, `NackRequester.Configuration.maxRequests`),
/// so a peer repeating NACKs cannot make us amplify its traffic beyond that.
public struct SendHistory: Sendable {
    public static let defaultCapacity = 1024
    public static let defaultMaxAge: Duration = .seconds(1)
    public static let maxResends = 10

    private struct Entry: Sendable {
        var packet: RTPPacket
        var sentAt: Timestamp
        var resends = 0
    }

    private var slots: [Entry?]
    private let mask: Int
    public let maxAge: Duration

    public init(capacity: Int = defaultCapacity, maxAge: Duration = defaultMaxAge) {
        var size = 1
        while size < max(capacity, 1) { size <<= 1 }
        slots = Array(repeating: nil, count: size)
        mask = size - 1
        self.maxAge = maxAge
    }

    public mutating func record(_ packet: RTPPacket, at now: Timestamp) {
        slots[Int(packet.sequenceNumber) & mask] = Entry(packet: packet, sentAt: now)
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
