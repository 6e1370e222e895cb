/// Where one recording of the service stands.
public enum RecordingState: String, Codable, Sendable {
    /// Connecting to the room server, not yet in the room.
    case joining
    /// In the room, recording whoever is there.
    case recording
    /// Asked to stop: leaving, finalizing files, writing the manifest.
    case finishing
    /// Ended; every file finalized.
    case finished
    /// Ended without recording as asked (`failure` says why), e.g. the room could not be reached.
    case failed

    var isActive: Bool { self == .joining || self == .recording || self == .finishing }
}
