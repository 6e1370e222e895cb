@testable import Bot
import Foundation
@testable import MeetingKit
@testable import OperatorInput
import Testing

@Suite struct AnnouncementScheduleTests {
    @Test func controlLinesParse() {
        #expect(AnnouncementSchedule.parse(command: "/every 30m Please mute")
                == AnnouncementSchedule(rule: .every(.seconds(1800)), text: "Please mute"))
        #expect(AnnouncementSchedule.parse(command: "/at 09:55 Standup in five")
                == AnnouncementSchedule(rule: .daily(hour: 9, minute: 55), text: "Standup in five"))
        for bad in ["/every soon hello", "/at 25:00 x", "/at 9:5 x", "/every 30m", "/later 1m x", "/at 12:00"] {
            #expect(AnnouncementSchedule.parse(command: bad) == nil, "\(bad)")
        }
    }

    @Test func everyCountsFromWhenItWasSet() {
        let start = Date(timeIntervalSince1970: 1_000_000)
        let schedule = AnnouncementSchedule(rule: .every(.seconds(600)), text: "x")
        #expect(schedule.nextFire(after: start, setAt: start) == start.addingTimeInterval(600))
        #expect(schedule.nextFire(after: start.addingTimeInterval(600), setAt: start) == start.addingTimeInterval(1200))
        #expect(schedule.nextFire(after: start.addingTimeInterval(1199), setAt: start) == start.addingTimeInterval(1200))
    }

    @Test func dailyIsTheNextWallClockTime() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let schedule = AnnouncementSchedule(rule: .daily(hour: 9, minute: 30), text: "x")
        let morning = try #require(calendar.date(from: DateComponents(year: 2026, month: 11, day: 25, hour: 8)))
        let evening = try #require(calendar.date(from: DateComponents(year: 2026, month: 11, day: 25, hour: 18)))
        #expect(schedule.nextFire(after: morning, setAt: morning, calendar: calendar)
                == calendar.date(from: DateComponents(year: 2026, month: 11, day: 25, hour: 9, minute: 30)))
        #expect(schedule.nextFire(after: evening, setAt: morning, calendar: calendar)
                == calendar.date(from: DateComponents(year: 2026, month: 11, day: 26, hour: 9, minute: 30)))
    }

    @Test func commandLineDurations() {
        #expect(DurationText.parse("90s") == .seconds(90))
        #expect(DurationText.parse("1h30m") == .seconds(5400))
        #expect(DurationText.parse("45") == .seconds(45))
        for bad in ["", "h", "1x", "0s", "1h30"] { #expect(DurationText.parse(bad) == nil, "\(bad)") }
    }

    /// `news.every` in the service's API and `/every` on the control socket: a duration whose seconds do not
    /// fit 64 bits trapped in the multiplication or the sum; it is refused now, as any malformed duration.
    @Test func durationsTooLongToCountAreRefused() {
        for bad in ["9223372036854775807h", "3000000000000000h", "200000000000000000m",
                    "9223372036854775807s1s", "5000000000000000000s5000000000000000000s"] {
            #expect(DurationText.parse(bad) == nil, "\(bad)")
        }
        #expect(DurationText.parse("9223372036854775807s") == .seconds(Int64.max))
        #expect(DurationText.parse("2562047788015215h") == .seconds(2_562_047_788_015_215 * 3600))
    }

    /// Beyond Int64 nanoseconds (292 years) an `/every` period once trapped when the next firing was computed.
    @Test func aPeriodOfCenturiesStillSchedules() throws {
        let schedule = try #require(AnnouncementSchedule.parse(command: "/every 9999999999s far future"))
        let start = Date(timeIntervalSince1970: 1_000_000)
        #expect(schedule.nextFire(after: start, setAt: start) > start.addingTimeInterval(9_000_000_000))
    }

    /// What a log line shows of a schedule is the control line that makes it again (the `control` fuzz
    /// target checks this for every line that parses).
    @Test func schedulesWriteBackAsTheirControlLine() throws {
        #expect(DurationText.text(.seconds(5400)) == "1h30m")
        #expect(DurationText.text(.seconds(90)) == "1m30s")
        #expect(DurationText.text(.seconds(7200)) == "2h")
        for line in ["/every 1h30m  Stand up", "every 90s x", "/at 7:05 early", "at 23:59 late", "/every 9223372036854775807s far"] {
            let schedule = try #require(AnnouncementSchedule.parse(command: line))
            #expect(AnnouncementSchedule.parse(command: schedule.command) == schedule, "\(line) -> \(schedule.command)")
        }
        #expect(AnnouncementSchedule(rule: .daily(hour: 7, minute: 5), text: "early").command == "/at 07:05 early")
    }

    /// The scheduler sleeps until the next firing: a past one is no sleep, and one 290 billion years away
    /// (`/every 9223372036854775807s`) is a long sleep, not a trapping conversion to Int64 milliseconds.
    @Test func sleepsAreBoundedWhateverThePeriod() throws {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(AnnouncementSchedule.sleep(until: now.addingTimeInterval(-5), from: now) == .zero)
        #expect(AnnouncementSchedule.sleep(until: now.addingTimeInterval(1.5), from: now) == .milliseconds(1500))
        let schedule = try #require(AnnouncementSchedule.parse(command: "/every 9223372036854775807s far"))
        let due = schedule.nextFire(after: now, setAt: now)
        #expect(AnnouncementSchedule.sleep(until: due, from: now) == .milliseconds(9_000_000_000_000_000_000))
    }
}
