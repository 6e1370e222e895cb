import Foundation

/// What survives a restart: which items each feed has had handled, and its conditional-GET validators.
public struct NewsState: Codable, Sendable, Equatable {
    public struct FeedRecord: Codable, Sendable, Equatable {
        /// Item ids that were posted (or deliberately skipped), oldest first.
        public var seen: [String] = []
        public var etag: String?
        public var lastModified: String?

        public init(seen: [String] = [], etag: String? = nil, lastModified: String? = nil) {
            self.seen = seen
            self.etag = etag
            self.lastModified = lastModified
        }
    }

    /// More than a feed ever lists at once (`NewsFeedParser.maximumItems`), so nothing still listed is forgotten.
    public static let maximumIDsPerFeed = 1000

    /// Keyed by the feed's URL as configured.
    public var feeds: [String: FeedRecord] = [:]

    public init(feeds: [String: FeedRecord] = [:]) {
        self.feeds = feeds
    }

    public func seenIDs(feed: URL) -> Set<String> {
        Set(feeds[feed.absoluteString]?.seen ?? [])
    }

    public mutating func markSeen(_ ids: [String], feed: URL) {
        guard !ids.isEmpty else { return }
        var record = feeds[feed.absoluteString] ?? FeedRecord()
        let known = Set(record.seen)
        record.seen.append(contentsOf: ids.filter { !known.contains($0) })
        if record.seen.count > Self.maximumIDsPerFeed {
            record.seen.removeFirst(record.seen.count - Self.maximumIDsPerFeed)
        }
        feeds[feed.absoluteString] = record
    }

    public func validators(feed: URL) -> HTTPFetcher.Validators {
        let record = feeds[feed.absoluteString]
        return HTTPFetcher.Validators(etag: record?.etag, lastModified: record?.lastModified)
    }

    public mutating func setValidators(_ validators: HTTPFetcher.Validators, feed: URL) {
        var record = feeds[feed.absoluteString] ?? FeedRecord()
        record.etag = validators.etag.map { String($0.prefix(512)) }
        record.lastModified = validators.lastModified.map { String($0.prefix(128)) }
        feeds[feed.absoluteString] = record
    }

    // MARK: The file edge

    /// A missing file is an empty state; an unreadable one is an error for the caller to log.
    public static func load(from path: String) throws -> NewsState {
        guard FileManager.default.fileExists(atPath: path) else { return NewsState() }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            return try JSONDecoder().decode(NewsState.self, from: data)
        } catch {
            throw NewsError(.malformed, "news state \(path) is not valid: \(error)")
        }
    }

    /// Written to a temporary file and renamed over the old one, so a crash leaves either version whole.
    public func save(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: url, options: .atomic)
    }
}
