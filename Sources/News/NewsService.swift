import Foundation
import Logging
import NIOCore

/// Wall-clock time, injectable so that tests run hours of schedule in milliseconds.
public protocol NewsClock: Sendable {
    var now: Date { get }
    /// Returns at or after `deadline`; throws when the waiting task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The real clock. Sleeps in slices and re-reads the wall clock, so a suspended machine or an
/// adjusted clock still wakes on the hour rather than an hour after it went to sleep.
public struct SystemNewsClock: NewsClock {
    public init() {}

    public var now: Date { Date() }

    public func sleep(until deadline: Date) async throws {
        while true {
            let remaining = deadline.timeIntervalSince(Date())
            if remaining <= 0 { return }
            try await Task.sleep(for: .seconds(min(remaining, 60)))
        }
    }
}

/// Fetches the feeds on schedule and posts what is new, once, across restarts.
public actor NewsService {
    public let feeds: [URL]
    public let period: Duration
    public let onJoin: Bool
    public let maxPerPost: Int
    public let statePath: String
    private let fetcher: HTTPFetcher
    private let logger: Logger
    private let clock: any NewsClock

    public init(feeds: [URL], period: Duration = .seconds(3600), onJoin: Bool = false, maxPerPost: Int = 5,
                statePath: String, group: any EventLoopGroup, logger: Logger, clock: some NewsClock,
                fetcherConfiguration: HTTPFetcher.Configuration = HTTPFetcher.Configuration()) {
        self.feeds = feeds
        self.period = period
        self.onJoin = onJoin
        // Zero would mark every new item as skipped without posting any.
        self.maxPerPost = max(1, maxPerPost)
        self.statePath = statePath
        self.fetcher = HTTPFetcher(group: group, configuration: fetcherConfiguration)
        self.logger = logger
        self.clock = clock
    }

    /// Loops until the task is cancelled. `post` sends one chat line and says whether anyone
    /// received it; a line nobody received is tried again at the next tick.
    public func run(post: @Sendable (String) async -> Bool) async {
        guard !feeds.isEmpty else { return }
        var state: NewsState
        do {
            state = try NewsState.load(from: statePath)
        } catch {
            logger.error("news state unreadable, starting afresh (recent items may be posted again)",
                         metadata: ["path": "\(statePath)", "error": "\(error)"])
            state = NewsState()
        }
        var schedule = NewsSchedule(period: period, onJoin: onJoin, feedCount: feeds.count, start: clock.now)
        while !Task.isCancelled {
            do {
                try await clock.sleep(until: schedule.nextWake)
            } catch {
                return
            }
            let now = clock.now
            let wake = schedule.wake(at: now)
            guard !wake.feeds.isEmpty else { continue }
            let results = await fetch(wake.feeds, state: state)

            var sources: [NewsDigest.Source] = []
            var fresh: [URL: HTTPFetcher.Validators] = [:]
            for (index, result) in results {
                let url = feeds[index]
                switch result {
                case .success(let fetched):
                    schedule.fetched(feed: index, succeeded: true, at: now)
                    if let fetched {
                        sources.append(NewsDigest.Source(url: url, feed: fetched.feed))
                        fresh[url] = fetched.validators
                        if fetched.feed.truncated {
                            logger.notice("news feed lists more than \(NewsFeedParser.maximumItems) items; the rest are ignored",
                                          metadata: ["feed": "\(url)"])
                        }
                    }
                case .failure(let error):
                    let retry = schedule.fetched(feed: index, succeeded: false, at: now)
                    logger.warning("news feed failed", metadata: [
                        "feed": "\(url)", "error": "\(error.description)",
                        "retry": "\(retry.map { "in \(Int(NewsSchedule.seconds($0))) s" } ?? "at the next tick")",
                    ])
                }
            }

            let selection = NewsDigest.select(sources, state: state, maximum: maxPerPost, now: now)
            var unsent: Set<URL> = []
            for entry in selection.post {
                if await post(entry.line) {
                    state.markSeen([entry.item.id], feed: entry.feed)
                } else {
                    unsent.insert(entry.feed)
                }
            }
            for entry in selection.skipped {
                state.markSeen([entry.item.id], feed: entry.feed)
            }
            for (url, validators) in fresh {
                // With items still unsent a 304 would hide them next time: keep validators only when all is handled.
                state.setValidators(unsent.contains(url) ? HTTPFetcher.Validators() : validators, feed: url)
            }
            if !selection.post.isEmpty || !selection.skipped.isEmpty {
                logger.info("news posted", metadata: [
                    "lines": "\(selection.post.count - unsent.count)", "skipped": "\(selection.skipped.count)",
                ])
            }
            do {
                try state.save(to: statePath)
            } catch {
                logger.error("news state not saved", metadata: ["path": "\(statePath)", "error": "\(error)"])
            }
        }
    }

    struct Fetched: Sendable {
        var feed: Feed
        var validators: HTTPFetcher.Validators
    }

    /// Fetches and parses concurrently; nil means 304, nothing new.
    private func fetch(_ indices: [Int], state: NewsState) async -> [(Int, Result<Fetched?, NewsError>)] {
        let fetcher = self.fetcher
        let requests = indices.map { ($0, feeds[$0], state.validators(feed: feeds[$0])) }
        let results = await withTaskGroup(of: (Int, Result<Fetched?, NewsError>).self) { group in
            for (index, url, validators) in requests {
                group.addTask {
                    (index, await Self.fetchOne(url, validators: validators, fetcher: fetcher))
                }
            }
            var collected: [(Int, Result<Fetched?, NewsError>)] = []
            for await result in group { collected.append(result) }
            return collected
        }
        return results.sorted { $0.0 < $1.0 }
    }

    private static func fetchOne(_ url: URL, validators: HTTPFetcher.Validators,
                                 fetcher: HTTPFetcher) async -> Result<Fetched?, NewsError> {
        do {
            switch try await fetcher.fetch(url, validators: validators) {
            case .notModified:
                return .success(nil)
            case .ok(let body, let contentType, let finalURL, let fresh):
                let feed = try NewsFeedParser.parse(data: body, contentType: contentType, url: finalURL)
                return .success(Fetched(feed: feed, validators: fresh))
            }
        } catch let error as NewsError {
            return .failure(error)
        } catch {
            return .failure(NewsError(.network, "\(error)"))
        }
    }
}
