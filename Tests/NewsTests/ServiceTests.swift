import Foundation
import Logging
@testable import News
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Collects log records so tests can check that each failure is reported once, clearly.
final class LogCapture: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    var logger: Logger {
        Logger(label: "news-tests") { _ in Handler(capture: self) }
    }

    fileprivate func append(_ record: Record) {
        records.withLock { $0.append(record) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let fields = (event.metadata ?? [:]).mapValues { "\($0)" }
            capture.append(Record(level: event.level, message: "\(event.message)", metadata: fields))
        }
    }
}

@Suite struct NewsServiceTests {
    /// 2026-01-01 10:17:30 UTC.
    static let start = Date(timeIntervalSince1970: 1_767_262_650)
    static func at(hour: Int, minute: Int = 0) -> Date {
        Date(timeIntervalSince1970: 1_767_225_600 + TimeInterval(hour * 3600 + minute * 60))
    }

    static func item(_ id: String, hour: Int, minute: Int = 0) -> Fixtures.Item {
        Fixtures.Item(id: id, title: "Story \(id)", link: "https://news.example/\(id)",
                      date: at(hour: hour, minute: minute).timeIntervalSince1970)
    }

    /// Serves each feed with an ETag that changes with its content, as real servers do.
    static func publish(_ server: TestHTTPServer, rss: [Fixtures.Item], atom: [Fixtures.Item], json: [Fixtures.Item]) {
        func route(_ body: [UInt8], _ type: String) -> TestHTTPServer.Route {
            .document(body: body, contentType: type, etag: "\"\(body.count)-\(body.reduce(0) { $0 &* 31 &+ Int($1) })\"")
        }
        server.set("/rss", route(Fixtures.rss(title: "Rss News", items: rss), "application/rss+xml"))
        server.set("/atom", route(Fixtures.atom(title: "Atom &amp; Co", items: atom), "application/atom+xml"))
        server.set("/json", route(Fixtures.jsonFeed(title: "", items: json), "application/feed+json"))
    }

    static func service(_ server: TestHTTPServer, feeds: [String], statePath: String, clock: VirtualClock,
                        logger: Logger = Fixtures.logger, onJoin: Bool = true, maxPerPost: Int = 5) -> NewsService {
        var configuration = HTTPFetcher.Configuration()
        configuration.readTimeout = .seconds(1)
        configuration.totalTimeout = .seconds(5)
        return NewsService(feeds: feeds.map(server.url), period: .seconds(3600), onJoin: onJoin, maxPerPost: maxPerPost,
                           statePath: statePath, group: MultiThreadedEventLoopGroup.singleton, logger: logger,
                           clock: clock, fetcherConfiguration: configuration)
    }

    @Test func postsEachItemOnceInOrderAcrossARestart() async throws {
        let server = try await TestHTTPServer()
        let statePath = Fixtures.temporaryDirectory() + "/news-state.json"
        let a1 = Self.item("a1", hour: 9), a2 = Self.item("a2", hour: 10, minute: 40)
        let b1 = Self.item("b1", hour: 10), b2 = Self.item("b2", hour: 14, minute: 30)
        let c1 = Self.item("c1", hour: 8), c2 = Self.item("c2", hour: 12, minute: 10)
        let log = PostLog()

        let clock = VirtualClock(start: Self.start, end: Self.at(hour: 13, minute: 30)) { now in
            switch now {
            case ..<Self.at(hour: 11): Self.publish(server, rss: [a1], atom: [b1], json: [c1])
            case ..<Self.at(hour: 13): Self.publish(server, rss: [a2, a1], atom: [b1], json: [c1])
            default: Self.publish(server, rss: [a2, a1], atom: [b1], json: [c2, c1])
            }
        }
        let service = Self.service(server, feeds: ["/rss", "/atom", "/json"], statePath: statePath, clock: clock)
        await service.run { line in log.record(line, at: clock.now) }

        #expect(log.all == [
            "📰 Story b1 — https://news.example/b1 (Atom & Co)",
            "📰 Story a1 — https://news.example/a1 (Rss News)",
            "📰 Story c1 — https://news.example/c1 (127.0.0.1)",
            "📰 Story a2 — https://news.example/a2 (Rss News)",
            "📰 Story c2 — https://news.example/c2 (127.0.0.1)",
        ])
        #expect(log.timed.map(\.0) == [Self.start, Self.start, Self.start, Self.at(hour: 11), Self.at(hour: 13)])
        #expect(clock.wakeTimes == [Self.start, Self.at(hour: 11), Self.at(hour: 12), Self.at(hour: 13)])
        // Unchanged feeds answer 304 to the conditional GET.
        let atomRequests = server.requests(to: "/atom")
        #expect(atomRequests.count == 4)
        #expect(atomRequests.dropFirst().allSatisfy { $0.headers.first(name: "If-None-Match") != nil })

        // A new service on the same state file: nothing old again, only b2.
        let restarted = PostLog()
        let clock2 = VirtualClock(start: Self.at(hour: 13, minute: 45), end: Self.at(hour: 15, minute: 30)) { now in
            if now >= Self.at(hour: 15) {
                Self.publish(server, rss: [a2, a1], atom: [b2, b1], json: [c2, c1])
            }
        }
        let second = Self.service(server, feeds: ["/rss", "/atom", "/json"], statePath: statePath, clock: clock2)
        await second.run { line in restarted.record(line, at: clock2.now) }
        #expect(restarted.timed.map(\.1) == ["📰 Story b2 — https://news.example/b2 (Atom & Co)"])
        #expect(restarted.timed.map(\.0) == [Self.at(hour: 15)])
        let state = try NewsState.load(from: statePath)
        #expect(state.seenIDs(feed: server.url("/atom")) == ["b1", "b2"])
        try await server.shutdown()
    }

    @Test func atMostNPerPostNewestFirst() async throws {
        let server = try await TestHTTPServer()
        let items = (0..<8).map { Self.item("n\($0)", hour: 9, minute: $0) }
        Self.publish(server, rss: items, atom: [], json: [])
        let log = PostLog()
        let clock = VirtualClock(start: Self.start, end: Self.at(hour: 12))
        let service = Self.service(server, feeds: ["/rss"], statePath: Fixtures.temporaryDirectory() + "/s.json",
                                   clock: clock, maxPerPost: 3)
        await service.run { line in log.record(line, at: clock.now) }
        #expect(log.all.map { $0.split(separator: " ")[2] } == ["n7", "n6", "n5"])
        try await server.shutdown()
    }

    @Test func linesNobodyReceivedArePostedAtTheNextTick() async throws {
        let server = try await TestHTTPServer()
        Self.publish(server, rss: [Self.item("x", hour: 9)], atom: [], json: [])
        let log = PostLog(accept: false)
        let clock = VirtualClock(start: Self.start, end: Self.at(hour: 11, minute: 30)) { now in
            if now >= Self.at(hour: 11) { log.accept.withLock { $0 = true } }
        }
        let service = Self.service(server, feeds: ["/rss"], statePath: Fixtures.temporaryDirectory() + "/s.json",
                                   clock: clock)
        await service.run { line in log.record(line, at: clock.now) }
        #expect(log.timed.map(\.0) == [Self.at(hour: 11)])
        #expect(log.all == ["📰 Story x — https://news.example/x (Rss News)"])
        // The unsent item's ETag was not kept, so the second fetch was not conditional.
        #expect(server.requests(to: "/rss").map { $0.headers.first(name: "If-None-Match") == nil } == [true, true])
        try await server.shutdown()
    }

    @Test func aFailingFeedIsRetriedWithBackoff() async throws {
        let server = try await TestHTTPServer()
        server.set("/rss", .status(503))
        let log = PostLog()
        let capture = LogCapture()
        let clock = VirtualClock(start: Self.start, end: Self.at(hour: 11, minute: 30)) { now in
            if now >= Self.start.addingTimeInterval(180) {
                Self.publish(server, rss: [Self.item("late", hour: 10)], atom: [], json: [])
            }
        }
        let service = Self.service(server, feeds: ["/rss"], statePath: Fixtures.temporaryDirectory() + "/s.json",
                                   clock: clock, logger: capture.logger)
        await service.run { line in log.record(line, at: clock.now) }
        #expect(clock.wakeTimes == [Self.start, Self.start.addingTimeInterval(60), Self.start.addingTimeInterval(180),
                                    Self.at(hour: 11)])
        #expect(log.timed.map(\.0) == [Self.start.addingTimeInterval(180)])
        let warnings = capture.all.filter { $0.level == .warning }
        #expect(warnings.count == 2)
        #expect(warnings.first?.metadata["error"]?.contains("HTTP 503") == true)
        #expect(warnings.map { $0.metadata["retry"] } == ["in 60 s", "in 120 s"])
        try await server.shutdown()
    }

    @Test func hostileFeedsAreReportedAndNeverPosted() async throws {
        let server = try await TestHTTPServer()
        let directory = Fixtures.temporaryDirectory()
        let secretPath = directory + "/secret.txt"
        try "TOP-SECRET-4242".write(toFile: secretPath, atomically: true, encoding: .utf8)
        server.set("/rss", .document(body: Array("<rss><channel><title>Rss News</title><item><title>Story good</title><link>https://news.example/good</link></item></channel></rss>".utf8), contentType: "application/rss+xml"))

        var laughs = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY l0 \"lol\">"
        for level in 1...9 { laughs += "<!ENTITY l\(level) \"" + String(repeating: "&l\(level - 1);", count: 10) + "\">" }
        laughs += "]><rss><channel><title>B</title><item><title>&l9;</title><guid>1</guid></item></channel></rss>"
        let external = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY x SYSTEM \"file://\(secretPath)\">]>"
            + "<rss><channel><title>E</title><item><title>&x;</title><guid>1</guid></item></channel></rss>"
        var big = "<rss><channel><title>Big</title>"
        // About 4.5 MB: under the size limit, so the item cap is what bounds it.
        for index in 0..<100_000 { big += "<item><title>b\(index)</title><guid>\(index)</guid></item>" }
        big += "</channel></rss>"
        let hostile: [(String, TestHTTPServer.Route, String)] = [
            ("/laughs", .document(body: Array(laughs.utf8), contentType: "text/xml"), "internal subset"),
            ("/external", .document(body: Array(external.utf8), contentType: "text/xml"), "internal subset"),
            ("/malformed", .document(body: Array("<rss><channel><item><title>x</channel>".utf8), contentType: "text/xml"),
             "malformed XML"),
            ("/badjson", .document(body: Array("{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{]}".utf8),
                                   contentType: "application/feed+json"), "malformed JSON"),
            ("/latin", .document(body: Array("<rss><channel><title>".utf8) + [0xE9, 0xFF] + Array("</title></channel></rss>".utf8),
                                 contentType: "text/xml"), "malformed XML"),
            ("/huge", .endless(total: 50 * 1024 * 1024, chunked: true), "limit"),
            ("/silent", .silent, "sent nothing for 1 s"),
            ("/bomb", .document(body: [UInt8](repeating: 0x20, count: 8_000_000), contentType: "text/xml", gzip: true),
             "inflates past"),
            ("/big", .document(body: Array(big.utf8), contentType: "text/xml", gzip: true), ""),
        ]
        for (path, route, _) in hostile { server.set(path, route) }

        let log = PostLog()
        let capture = LogCapture()
        let clock = VirtualClock(start: Self.start, end: Self.start.addingTimeInterval(30))
        let service = Self.service(server, feeds: ["/rss"] + hostile.map(\.0), statePath: directory + "/s.json",
                                   clock: clock, logger: capture.logger, maxPerPost: 20)
        await service.run { line in log.record(line, at: clock.now) }

        let posted = log.all
        // All undated, so in feed order; the 100,000-item feed is cut to its first 500 items; 20 per post.
        #expect(posted.first == "📰 Story good — https://news.example/good (Rss News)")
        #expect(posted.dropFirst().first == "📰 b0 (Big)")
        #expect(posted.count == 20)
        #expect(!posted.joined().contains("TOP-SECRET"))
        #expect(!posted.joined().contains("lol"))
        for (path, _, expected) in hostile where !expected.isEmpty {
            let reports = capture.all.filter { $0.metadata["feed"] == server.url(path).absoluteString && $0.level == .warning }
            #expect(reports.count == 1, "\(path)")
            #expect(reports.first?.metadata["error"]?.contains(expected) == true, "\(path): \(reports.first?.metadata ?? [:])")
        }
        let truncation = capture.all.filter { $0.metadata["feed"] == server.url("/big").absoluteString }
        #expect(truncation.map(\.level) == [.notice], "\(truncation)")
        #expect(!capture.all.contains { "\($0)".contains("TOP-SECRET") })
        try await server.shutdown()
    }
}
