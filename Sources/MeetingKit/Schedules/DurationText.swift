import Foundation

/// Durations as people write them on a command line: `90s`, `30m`, `1h`, `1h30m`.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        var total: Int64 = 0
        var number = ""
        var sawUnit = false
        for character in text.lowercased() {
            if character.isNumber {
                number.append(character)
            } else {
                guard let value = Int64(number) else { return nil }
                switch character {
                case "h": total += value * 3600
                case "m": total += value * 60
                case "s": total += value
                default: return nil
                }
                number = ""
                sawUnit = true
            }
        }
        if !number.isEmpty {
            guard !sawUnit, let value = Int64(number) else { return nil }
            total += value
        }
        return total > 0 ? .seconds(total) : nil
    }
}
