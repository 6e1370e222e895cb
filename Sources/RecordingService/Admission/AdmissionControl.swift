/// How much one service process takes on: a budget of concurrent recordings and of participants
/// recorded at once (each participant costs a connection, a socket and a file; docs/api.md).
/// Beyond it, `POST /v1/recordings` gets 503 with the reason.
public struct AdmissionControl: Sendable, Equatable {
    public var maximumRecordings: Int
    public var maximumParticipants: Int

    public init(maximumRecordings: Int = 20, maximumParticipants: Int = 200) {
        self.maximumRecordings = maximumRecordings
        self.maximumParticipants = maximumParticipants
    }

    /// Why a new recording cannot start now, or nil when it can.
    public func refusal(activeRecordings: Int, activeParticipants: Int, draining: Bool) -> String? {
        if draining { return "the service is shutting down and takes no new recordings" }
        if activeRecordings >= maximumRecordings {
            return "at capacity: \(activeRecordings) recordings running (at most \(maximumRecordings))"
        }
        if activeParticipants >= maximumParticipants {
            return "at capacity: \(activeParticipants) participants being recorded (at most \(maximumParticipants))"
        }
        return nil
    }
}
