import Foundation

/// `POST /v1/recordings`: what to record and how (docs/api.md, API/openapi.json).
public struct RecordingRequest: Decodable, Sendable {
    /// The room's page (`http://`, `https://`) or its WebSocket (`ws://`, `wss://`).
    public var roomURL: String
    public var botName: String?
    /// Seconds after which the recording ends by itself.
    public var maxDuration: Double?
    public var news: News?
    /// Lines posted into the chat once everyone present is connected.
    public var announcements: [String]?
    /// Whatever the caller wants back with the recording (strings only, at most 32 entries).
    public var metadata: [String: String]?

    public struct News: Decodable, Sendable {
        public var feeds: [String]
        /// `1h`, `30m`, `90s`; at least 10 s. Default 1h.
        public var every: String?
        public var onJoin: Bool?
        public var maxItems: Int?

        enum CodingKeys: String, CodingKey {
            case feeds, every
            case onJoin = "on_join"
            case maxItems = "max_items"
        }
    }

    enum CodingKeys: String, CodingKey {
        case roomURL = "room_url"
        case botName = "bot_name"
        case maxDuration = "max_duration"
        case news, announcements, metadata
    }
}

/// `POST /v1/recordings/{id}/chat`.
public struct ChatRequest: Decodable, Sendable {
    public var text: String
}
