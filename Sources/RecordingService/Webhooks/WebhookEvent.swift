import Foundation

/// One webhook delivery's body (docs/api.md, Webhooks): what happened, to which recording, and a
/// delivery id that stays the same across retries so a receiver can drop duplicates.
public struct WebhookEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case recordingStarted = "recording.started"
        case participantJoined = "participant.joined"
        case participantLeft = "participant.left"
        case fileFinalized = "file.finalized"
        case fileUploaded = "file.uploaded"
        case recordingFinished = "recording.finished"
        case recordingFailed = "recording.failed"
    }

    public struct Recording: Codable, Sendable, Equatable {
        public var id: String
        public var roomURL: String
        public var botName: String
        public var metadata: [String: String]

        enum CodingKeys: String, CodingKey {
            case id, metadata
            case roomURL = "room_url"
            case botName = "bot_name"
        }
    }

    public struct File: Codable, Sendable, Equatable {
        public var name: String
        public var path: String
        public var bytes: Int
        /// `file.uploaded`: where it is now (`s3://BUCKET/KEY`).
        public var location: String?
    }

    public var id: String
    public var type: Kind
    /// Increases by one with every event the service emits, across restarts: the order events happened in.
    public var sequence: UInt64
    public var createdAt: String
    public var recording: Recording
    public var participant: String?
    public var file: File?
    public var failure: String?

    enum CodingKeys: String, CodingKey {
        case id, type, sequence, recording, participant, file, failure
        case createdAt = "created_at"
    }

    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(self))) ?? []
    }
}

extension DurableQueue {
    /// Queues the webhook event `make` builds from its sequence and delivery id.
    @discardableResult
    func enqueue(event make: (_ sequence: UInt64, _ deliveryID: String) -> WebhookEvent) -> Bool {
        enqueue { sequence, id in
            let event = make(sequence, id)
            return (event.encoded(), event.type.rawValue)
        }
    }
}
