import Foundation

/// Durations as people write them on a command line: `90s`, `30m`, `1h`, `1h30m`.
public enum DurationText {
    /// `duration` as `parse` reads it, whole seconds only (fractions are dropped): `1h30m`, `90s` is `1m30s`.
    /// What a log line shows of a parsed duration, and the text `parse` turns back into the same duration.
    public static func text(_ duration: Duration) -> String {
        let seconds = max(duration.components.seconds, 0)
        let (hours, minutes, rest) = (seconds / 3600, seconds / 60 % 60, seconds % 60)
        var text = hours > 0 ? "\(hours)h" : ""
        if minutes > 0 { text += "\(minutes)m" }
        if rest > 0 || text.isEmpty { text += "\(rest)s" }
        return text
    }

    public static func parse(_ text: String) -> Duration? {
        var total: Int64 = 0
        var number = ""
        var sawUnit = false
        for character in text.lowercased() {
            if character.isNumber {
                number.append(character)
            } else {
                guard let value = Int64(number) else { return nil }
                let unit: Int64
                switch character {
                case "h": unit = 3600
                case "m": unit = 60
                case "s": unit = 1
                default: return nil
                }
                // The text comes from the service's API and the control socket: a duration too long to
                // count is refused, not trapped on.
                let (seconds, overflow) = value.multipliedReportingOverflow(by: unit)
                guard !overflow, let sum = Self.adding(seconds, to: total) else { return nil }
                total = sum
                number = ""
                sawUnit = true
            }
        }
        if !number.isEmpty {
            guard !sawUnit, let value = Int64(number), let sum = Self.adding(value, to: total) else { return nil }
            total = sum
        }
        return total > 0 ? .seconds(total) : nil
    }

    private static func adding(_ seconds: Int64, to total: Int64) -> Int64? {
        let (sum, overflow) = total.addingReportingOverflow(seconds)
        return overflow ? nil : sum
    }
}
