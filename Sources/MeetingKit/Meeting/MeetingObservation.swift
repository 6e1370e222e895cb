import Mesh

/// One step of one connection, for observers of a meeting (`check`, `demo`'s progress display).
public enum MeetingObservation: Sendable {
    public enum Role: String, Sendable { case offerer, answerer }
    /// Our complete offer or answer went to the peer.
    case descriptionSent(ConnectionKey, peer: String, role: Role)
    /// The peer's answer to our offer was applied.
    case answerApplied(ConnectionKey)
    /// The connection could not start (bad SDP, bad fingerprint line, refused answer).
    case connectionRefused(ConnectionKey, reason: String)
    /// Everything the connection reports; media packets only with `observesMedia`.
    case peerEvent(ConnectionKey, PeerEvent)
    /// The bot is in the room: its first signalling connection is up and it announced itself.
    case joined
    /// A connection's recording ended and its file was finalized (`bytes` 0: no media came, no file).
    case recordingClosed(ConnectionKey, participant: String, path: String, bytes: Int)
}
