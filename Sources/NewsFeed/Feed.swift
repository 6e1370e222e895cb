import Foundation

/// A parsed feed: what the reader kept after cleaning, never the raw document.
public struct Feed: Sendable, Equatable {
    /// The feed's own title, cleaned; nil when it had none worth showing.
    public var title: String?
    /// In document order (feeds list newest first by convention), at most `NewsFeedParser.maximumItems`.
    public var items: [FeedItem]
    /// True when the document had more items than the reader keeps.
    public var truncated: Bool

    public init(title: String?, items: [FeedItem], truncated: Bool = false) {
        self.title = title
        self.items = items
        self.truncated = truncated
    }
}

public struct FeedItem: Sendable, Equatable {
    /// guid/id, else the link, else title and date: what "posted once" is keyed on.
    public var id: String
    /// Plain text, cleaned and cut to `TextCleaner.maximumTitleCharacters`.
    public var title: String
    /// Absolute http(s) only; anything else was dropped.
    public var link: URL?
    public var date: Date?

    public init(id: String, title: String, link: URL?, date: Date?) {
        self.id = id
        self.title = title
        self.link = link
        self.date = date
    }
}

/// Everything that can go wrong with a feed, each with a sentence fit for the log.
public struct NewsError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case malformed, refused, unsupported, tooLarge, timeout, http, redirect, network
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
