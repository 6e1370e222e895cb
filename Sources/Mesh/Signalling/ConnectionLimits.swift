/// How many connections a room may make us hold, in all and per participant name.
///
/// Every connection costs a socket, DTLS and SRTP state, a recording and a file. Anyone in the room
/// can announce new channels (`new-peer`) or send offers, under one name or many; without a limit
/// that is memory, file descriptors and disk on demand. The limits sit far above a real meeting:
/// a participant has a camera and a screen connection, and a rejoin briefly overlaps the old one.
public struct ConnectionLimits: Sendable, Equatable {
    /// A room of ~100 participants with a camera each, some sharing, and our own screen to each.
    public var maximumConnections: Int
    /// Camera, screen and our screen to it, for two channels of one name (a rejoin before the
    /// old channel is gone).
    public var maximumPerName: Int

    public init(maximumConnections: Int = 400, maximumPerName: Int = 6) {
        self.maximumConnections = maximumConnections
        self.maximumPerName = maximumPerName
    }

    /// Why a new connection to `peer` is refused, or nil when it fits.
    func refusal(for peer: String, among connections: [ConnectionKey: RoomSession.ConnectionRecord]) -> String? {
        if connections.count >= maximumConnections {
            return "already \(maximumConnections) connections in this room"
        }
        var sameName = 0
        for record in connections.values where record.peer == peer { sameName += 1 }
        if sameName >= maximumPerName {
            return "already \(maximumPerName) connections for the name '\(peer.logSafe)'"
        }
        return nil
    }
}
