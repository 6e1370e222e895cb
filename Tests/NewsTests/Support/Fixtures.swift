import Foundation
import Logging
import News
import Synchronization

enum Fixtures {
    struct Item {
        var id: String
        var title: String
        var link: String
        /// Seconds since 1970.
        var date: TimeInterval
    }

    static func rss(title: String, items: [Item]) -> [UInt8] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel>"
        xml += "<title>\(title)</title><link>https://example.org/</link><atom:link rel=\"self\" href=\"https://example.org/rss\"/>"
        for item in items {
            xml += "<item><title>\(item.title)</title><link>\(item.link)</link><guid isPermaLink=\"false\">\(item.id)</guid>"
            xml += "<pubDate>\(formatter.string(from: Date(timeIntervalSince1970: item.date)))</pubDate></item>"
        }
        return Array((xml + "</channel></rss>").utf8)
    }

    static func atom(title: String, items: [Item]) -> [UInt8] {
        let formatter = ISO8601DateFormatter()
        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
        xml += "<title type=\"text\">\(title)</title><id>urn:feed</id><updated>2026-01-01T00:00:00Z</updated>"
        for item in items {
            xml += "<entry><title type=\"html\">\(item.title)</title><link rel=\"alternate\" href=\"\(item.link)\"/>"
            xml += "<id>\(item.id)</id><updated>\(formatter.string(from: Date(timeIntervalSince1970: item.date)))</updated></entry>"
        }
        return Array((xml + "</feed>").utf8)
    }

    static func jsonFeed(title: String, items: [Item]) -> [UInt8] {
        let formatter = ISO8601DateFormatter()
        let list: [[String: Any]] = items.map {
            ["id": $0.id, "title": $0.title, "url": $0.link,
             "date_published": formatter.string(from: Date(timeIntervalSince1970: $0.date))]
        }
        let object: [String: Any] = ["version": "https://jsonfeed.org/version/1.1", "title": title, "items": list]
        return (try? Array(JSONSerialization.data(withJSONObject: object))) ?? []
    }

    static let base = URL(string: "https://example.org/feed") ?? URL(fileURLWithPath: "/")

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "news-tests-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static var logger: Logger {
        var logger = Logger(label: "news-tests")
        logger.logLevel = .critical
        return logger
    }
}

/// Hours pass in no time: each sleep jumps to its deadline, and a sleep past `end` ends the run.
final class VirtualClock: NewsClock {
    private let current: Mutex<Date>
    private let wakes = Mutex<[Date]>([])
    let end: Date
    /// Runs at each wake-up, before the service looks at the feeds: the tests change the documents here.
    let onWake: @Sendable (Date) -> Void

    init(start: Date, end: Date, onWake: @escaping @Sendable (Date) -> Void = { _ in }) {
        current = Mutex(start)
        self.end = end
        self.onWake = onWake
    }

    var now: Date { current.withLock { $0 } }
    var wakeTimes: [Date] { wakes.withLock { $0 } }

    func sleep(until deadline: Date) async throws {
        guard deadline <= end else { throw CancellationError() }
        current.withLock { $0 = max($0, deadline) }
        wakes.withLock { $0.append(deadline) }
        onWake(deadline)
    }
}

/// What the service posted, and when (virtual time).
final class PostLog: Sendable {
    private let lines = Mutex<[(Date, String)]>([])
    let accept: Mutex<Bool>

    init(accept: Bool = true) {
        self.accept = Mutex(accept)
    }

    func record(_ line: String, at time: Date) -> Bool {
        guard accept.withLock({ $0 }) else { return false }
        lines.withLock { $0.append((time, line)) }
        return true
    }

    var all: [String] { lines.withLock { $0.map(\.1) } }
    var timed: [(Date, String)] { lines.withLock { $0 } }
}
