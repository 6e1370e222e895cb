import Foundation

/// When a scheduled announcement is due: every N (from the moment it was set), or daily at HH:MM
/// in the machine's time zone (what a person typing `--at 09:30` means).
public struct AnnouncementSchedule: Sendable, Equatable {
    public enum Rule: Sendable, Equatable {
        case every(Duration)
        case daily(hour: Int, minute: Int)
    }

    public var rule: Rule
    public var text: String

    /// Parses `/every 30m TEXT` and `/at 09:30 TEXT` control lines (the leading word without the slash too).
    public static func parse(command line: String) -> AnnouncementSchedule? {
        let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard words.count == 3 else { return nil }
        switch words[0] {
        case "/every", "every":
            guard let period = DurationText.parse(String(words[1])), period >= .seconds(1) else { return nil }
            return AnnouncementSchedule(rule: .every(period), text: String(words[2]))
        case "/at", "at":
            guard let (hour, minute) = parseClock(String(words[1])) else { return nil }
            return AnnouncementSchedule(rule: .daily(hour: hour, minute: minute), text: String(words[2]))
        default:
            return nil
        }
    }

    /// The control line `parse(command:)` reads back as this schedule: what a log line shows of it.
    public var command: String {
        switch rule {
        case .every(let period):
            return "/every \(DurationText.text(period)) \(text)"
        case .daily(let hour, let minute):
            let twoDigits = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
            return "/at \(twoDigits(hour)):\(twoDigits(minute)) \(text)"
        }
    }

    static func parseClock(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2,
              let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        return (hour, minute)
    }

    /// The first moment strictly after `date` at which the announcement is due.
    public func nextFire(after date: Date, setAt start: Date, calendar: Calendar = .current) -> Date {
        switch rule {
        case .every(let period):
            let seconds = max(Double(period.components.seconds) + Double(period.components.attoseconds) / 1e18, 1)
            let elapsed = date.timeIntervalSince(start)
            let periods = max(0, (elapsed / seconds).rounded(.down)) + 1
            return start.addingTimeInterval(periods * seconds)
        case .daily(let hour, let minute):
            let components = DateComponents(hour: hour, minute: minute, second: 0)
            return calendar.nextDate(after: date, matching: components, matchingPolicy: .nextTime) ?? date.addingTimeInterval(86_400)
        }
    }

    /// How long to sleep from `now` until `due`: nothing when it is past, and a due date centuries away (a
    /// period of `9223372036854775807s` is a valid `/every`) is a sleep of 285 million years, not a trapping
    /// conversion to milliseconds.
    public static func sleep(until due: Date, from now: Date) -> Duration {
        let milliseconds = due.timeIntervalSince(now) * 1000
        guard milliseconds.isFinite, milliseconds > 0 else { return .zero }
        return .milliseconds(milliseconds < 9e18 ? Int64(milliseconds) : 9_000_000_000_000_000_000)
    }
}
