import Foundation

/// When to fetch: ticks aligned to multiples of the period since midnight UTC (so the 1 h default
/// posts on the hour), and per-feed retries with exponential backoff in between. Time in, decisions out.
public struct NewsSchedule: Sendable, Equatable {
    public let period: Duration
    public private(set) var nextTick: Date
    private var failures: [Int]
    private var retryAt: [Date?]

    public static let firstRetry: Duration = .seconds(60)
    public static let longestRetry: Duration = .seconds(30 * 60)

    /// With `onJoin` the first tick is `start` itself.
    public init(period: Duration, onJoin: Bool, feedCount: Int, start: Date) {
        self.period = period
        nextTick = onJoin ? start : Self.tick(after: start, period: period)
        failures = Array(repeating: 0, count: feedCount)
        retryAt = Array(repeating: nil, count: feedCount)
    }

    /// The first aligned instant strictly after `time`. Alignment restarts every UTC midnight, so a
    /// period that does not divide a day has a shorter last slot.
    public static func tick(after time: Date, period: Duration) -> Date {
        let step = max(1, seconds(period))
        let now = time.timeIntervalSince1970
        let midnight = (now / 86_400).rounded(.down) * 86_400
        let slots = ((now - midnight) / step).rounded(.down) + 1
        return Date(timeIntervalSince1970: min(midnight + slots * step, midnight + 86_400))
    }

    /// The earlier of the next tick and the next retry that is due.
    public var nextWake: Date {
        retryAt.compactMap { $0 }.reduce(nextTick) { min($0, $1) }
    }

    public struct Wake: Sendable, Equatable {
        /// A scheduled post time (as opposed to a retry of failed feeds only).
        public var isTick: Bool
        /// Indices of the feeds to fetch now.
        public var feeds: [Int]
    }

    /// Called once awake at `now`: on a tick every feed is fetched; otherwise only retries that are due.
    public mutating func wake(at now: Date) -> Wake {
        if now >= nextTick {
            nextTick = Self.tick(after: now, period: period)
            for index in retryAt.indices { retryAt[index] = nil }
            return Wake(isTick: true, feeds: Array(failures.indices))
        }
        var due: [Int] = []
        for (index, time) in retryAt.enumerated() {
            if let time, time <= now {
                due.append(index)
                retryAt[index] = nil
            }
        }
        return Wake(isTick: false, feeds: due)
    }

    /// Records a fetch; after a failure returns how long until the retry (1, 2, 4 … 30 minutes).
    @discardableResult
    public mutating func fetched(feed: Int, succeeded: Bool, at now: Date) -> Duration? {
        guard failures.indices.contains(feed) else { return nil }
        if succeeded {
            failures[feed] = 0
            retryAt[feed] = nil
            return nil
        }
        failures[feed] += 1
        let delay = Self.backoff(failures: failures[feed])
        let retry = now.addingTimeInterval(Self.seconds(delay))
        // A retry that would land on or after the next tick is that tick's business.
        retryAt[feed] = retry < nextTick ? retry : nil
        return delay
    }

    public static func backoff(failures: Int) -> Duration {
        let doublings = min(max(failures - 1, 0), 16)
        return min(firstRetry * (1 << doublings), longestRetry)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Which items a post carries and how each line reads. Pure.
public enum NewsDigest {
    public struct Source: Sendable {
        public var url: URL
        public var feed: Feed

        public init(url: URL, feed: Feed) {
            self.url = url
            self.feed = feed
        }

        /// The feed's title, else its host.
        public var name: String {
            feed.title ?? url.host ?? url.absoluteString
        }
    }

    public struct Entry: Sendable, Equatable {
        public var feed: URL
        public var item: FeedItem
        public var line: String
    }

    /// New items across all sources, newest first (undated items count as published `now`), at most
    /// `maximum` to post; the other new items are returned as `skipped` so an hourly post never lags behind.
    public static func select(_ sources: [Source], state: NewsState, maximum: Int, now: Date)
        -> (post: [Entry], skipped: [Entry]) {
        var candidates: [(date: Date, order: Int, entry: Entry)] = []
        for source in sources {
            let seen = state.seenIDs(feed: source.url)
            var ids: Set<String> = []
            for item in source.feed.items where !seen.contains(item.id) && ids.insert(item.id).inserted {
                let entry = Entry(feed: source.url, item: item, line: line(item, source: source.name))
                candidates.append((item.date ?? now, candidates.count, entry))
            }
        }
        candidates.sort { $0.date != $1.date ? $0.date > $1.date : $0.order < $1.order }
        var post: [Entry] = []
        var skipped: [Entry] = []
        var links: Set<String> = []
        for candidate in candidates {
            // The same story from two feeds is posted once.
            let duplicate = candidate.entry.item.link.map { !links.insert($0.absoluteString).inserted } ?? false
            if post.count < max(0, maximum) && !duplicate {
                post.append(candidate.entry)
            } else {
                skipped.append(candidate.entry)
            }
        }
        return (post, skipped)
    }

    public static func line(_ item: FeedItem, source: String) -> String {
        if let link = item.link {
            return "📰 \(item.title) — \(link.absoluteString) (\(source))"
        }
        return "📰 \(item.title) (\(source))"
    }
}
