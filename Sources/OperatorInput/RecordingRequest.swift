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

/// A `RecordingRequest` whose every field but the room URL has been checked (the room URL is parsed where
/// the connection is made): what the service starts a recording with.
public struct CheckedRecordingRequest: Sendable, Equatable {
    public var botName: String
    public var maximumDuration: Duration?
    public var announcements: [String]
    public var metadata: [String: String]
    public var news: News?

    public struct News: Sendable, Equatable {
        public var feeds: [URL]
        public var period: Duration
        public var onJoin: Bool
        public var maximumPerPost: Int
    }
}

/// What is wrong with a request body, in words for a 400 answer.
public struct RecordingRequestProblem: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension RecordingRequest {
    /// The request's fields checked against the API's limits, or the first one that is out of them. The
    /// body comes from any caller with the token: a bad one is a 400, never a crash.
    public func checked(defaultBotName: String) throws(RecordingRequestProblem) -> CheckedRecordingRequest {
        let name = botName ?? defaultBotName
        guard !name.isEmpty, name.count <= 64, !name.contains(where: { $0.isNewline }) else {
            throw RecordingRequestProblem(description: "bot_name: 1 to 64 characters on one line")
        }
        var maximumDuration: Duration?
        if let seconds = maxDuration {
            guard seconds > 0 && seconds <= 86_400 else {
                throw RecordingRequestProblem(description: "max_duration: seconds, more than 0 and at most 86400")
            }
            maximumDuration = .milliseconds(Int64(seconds * 1000))
        }
        let announcements = announcements ?? []
        guard announcements.count <= 20, announcements.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 2_000 }) else {
            throw RecordingRequestProblem(description: "announcements: at most 20 lines of 1 to 2000 bytes")
        }
        if let metadata {
            guard metadata.count <= 32, metadata.allSatisfy({ $0.key.utf8.count <= 128 && $0.value.utf8.count <= 1_024 }) else {
                throw RecordingRequestProblem(description: "metadata: at most 32 entries, keys up to 128 bytes, values up to 1024")
            }
        }
        var checkedNews: CheckedRecordingRequest.News?
        if let news {
            var feeds: [URL] = []
            for text in news.feeds {
                guard let url = ServiceSettings.httpURL(text) else {
                    throw RecordingRequestProblem(description: "news.feeds: http or https URLs, got '\(text)'")
                }
                feeds.append(url)
            }
            guard !feeds.isEmpty, feeds.count <= 20 else { throw RecordingRequestProblem(description: "news.feeds: 1 to 20 feeds") }
            guard let period = DurationText.parse(news.every ?? "1h"), period >= .seconds(10) else {
                throw RecordingRequestProblem(description: "news.every: a duration of at least 10s such as 1h, 30m or 90s")
            }
            checkedNews = .init(feeds: feeds, period: period, onJoin: news.onJoin ?? false,
                                maximumPerPost: min(max(news.maxItems ?? 5, 1), 20))
        }
        return CheckedRecordingRequest(botName: name, maximumDuration: maximumDuration, announcements: announcements,
                                       metadata: metadata ?? [:], news: checkedNews)
    }
}
