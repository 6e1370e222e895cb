import Recorder

/// A meeting as it stands: whether the bot is in the room, where its files go, and its manifest so far.
public struct MeetingSnapshot: Sendable {
    public var joined: Bool
    public var sessionPath: String?
    public var manifest: Manifest
    public var openConnections: Int
}

/// Why a meeting ended other than by a stop, a deadline or its script's end.
public enum MeetingError: Error, CustomStringConvertible, Equatable {
    case roomUnreachable(String)

    public var description: String {
        switch self {
        case .roomUnreachable(let reason): "the room cannot be reached: \(reason)"
        }
    }
}
