import Foundation
@testable import News
import Testing

@Suite struct NewsScheduleTests {
    /// 2026-01-01 10:17:30 UTC.
    let start = Date(timeIntervalSince1970: 1_767_262_650)

    @Test func hourlyTicksAreOnTheHour() {
        var schedule = NewsSchedule(period: .seconds(3600), onJoin: false, feedCount: 1, start: start)
        #expect(schedule.nextWake == Date(timeIntervalSince1970: 1_767_265_200))  // 11:00
        let wake = schedule.wake(at: schedule.nextWake)
        #expect(wake == NewsSchedule.Wake(isTick: true, feeds: [0]))
        #expect(schedule.nextWake == Date(timeIntervalSince1970: 1_767_268_800))  // 12:00
    }

    @Test func onJoinPostsAtOnce() {
        var schedule = NewsSchedule(period: .seconds(3600), onJoin: true, feedCount: 2, start: start)
        #expect(schedule.nextWake == start)
        #expect(schedule.wake(at: start).isTick)
        #expect(schedule.nextWake == Date(timeIntervalSince1970: 1_767_265_200))
    }

    @Test func otherPeriodsAlignSinceMidnight() {
        let quarter = NewsSchedule.tick(after: start, period: .seconds(900))
        #expect(quarter == Date(timeIntervalSince1970: 1_767_263_400))  // 10:30
        // 7 h slots: 00, 07, 14, 21, then the next midnight.
        let lateEvening = Date(timeIntervalSince1970: 1_767_225_600 + 22 * 3600)
        #expect(NewsSchedule.tick(after: lateEvening, period: .seconds(7 * 3600))
                == Date(timeIntervalSince1970: 1_767_225_600 + 86_400))
        let exactlyOnTick = Date(timeIntervalSince1970: 1_767_265_200)
        #expect(NewsSchedule.tick(after: exactlyOnTick, period: .seconds(3600)) == exactlyOnTick.addingTimeInterval(3600))
    }

    @Test func failedFeedsBackOffUntilTheNextTick() {
        var schedule = NewsSchedule(period: .seconds(3600), onJoin: true, feedCount: 2, start: start)
        _ = schedule.wake(at: start)
        #expect(schedule.fetched(feed: 0, succeeded: false, at: start) == .seconds(60))
        schedule.fetched(feed: 1, succeeded: true, at: start)
        #expect(schedule.nextWake == start.addingTimeInterval(60))
        var now = schedule.nextWake
        #expect(schedule.wake(at: now) == NewsSchedule.Wake(isTick: false, feeds: [0]))
        #expect(schedule.fetched(feed: 0, succeeded: false, at: now) == .seconds(120))
        now = schedule.nextWake
        #expect(now == start.addingTimeInterval(180))
        _ = schedule.wake(at: now)
        #expect(schedule.fetched(feed: 0, succeeded: false, at: now) == .seconds(240))
        #expect(NewsSchedule.backoff(failures: 6) == .seconds(1800))
        #expect(NewsSchedule.backoff(failures: 60) == .seconds(1800))
    }

    @Test func digestTakesNewestFirstAcrossFeedsOnce() throws {
        let one = URL(string: "https://one.example/feed")!
        let two = URL(string: "http://two.example/rss")!
        func item(_ id: String, _ time: TimeInterval) -> FeedItem {
            FeedItem(id: id, title: "T\(id)", link: URL(string: "https://x.example/\(id)"), date: Date(timeIntervalSince1970: time))
        }
        let sources = [
            NewsDigest.Source(url: one, feed: Feed(title: "One", items: [item("a", 30), item("b", 10)])),
            NewsDigest.Source(url: two, feed: Feed(title: nil, items: [item("c", 20), item("d", 5)])),
        ]
        var state = NewsState()
        state.markSeen(["d"], feed: two)
        let selection = NewsDigest.select(sources, state: state, maximum: 2, now: Date(timeIntervalSince1970: 100))
        #expect(selection.post.map(\.item.id) == ["a", "c"])
        #expect(selection.skipped.map(\.item.id) == ["b"])
        #expect(selection.post.map(\.line) == ["📰 Ta — https://x.example/a (One)", "📰 Tc — https://x.example/c (two.example)"])
    }

    @Test func stateIsBoundedAndRoundTrips() throws {
        let feed = URL(string: "https://one.example/feed")!
        var state = NewsState()
        state.markSeen((0..<1500).map(String.init), feed: feed)
        state.setValidators(.init(etag: "\"v1\"", lastModified: "Thu, 01 Jan 2026 00:00:00 GMT"), feed: feed)
        #expect(state.feeds[feed.absoluteString]?.seen.count == NewsState.maximumIDsPerFeed)
        #expect(state.seenIDs(feed: feed).contains("1499"))
        #expect(!state.seenIDs(feed: feed).contains("0"))
        let path = Fixtures.temporaryDirectory() + "/sub/news-state.json"
        try state.save(to: path)
        #expect(try NewsState.load(from: path) == state)
        #expect(try NewsState.load(from: path + ".missing") == NewsState())
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: NewsError.self) { try NewsState.load(from: path) }
    }
}
