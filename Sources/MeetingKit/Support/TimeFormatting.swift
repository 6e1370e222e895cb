import Foundation

extension Duration {
    public var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// The one way times are written into manifests, transcripts and logs: ISO 8601 in UTC with milliseconds.
///
/// Both forms are computed with `gmtime_r`, not Foundation's formatters: those load ICU's time zone, locale
/// and calendar data (about 3 MB of a recorder's resident memory), here for strings whose every field is fixed.
public enum ISOTime {
    /// `2026-12-05T07:15:00.123Z`, as `Date.ISO8601FormatStyle` with fractional seconds writes it in UTC.
    public static func string(_ date: Date) -> String {
        guard let (parts, milliseconds) = utc(date) else {
            // Only a date no calendar places (infinite, or beyond year 30 million); never the time now.
            return date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)
                .timeZone(separator: .omitted))
        }
        return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2)
            + "T" + digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2)
            + "." + digits(milliseconds, 3) + "Z"
    }

    /// `20261205T071500Z`: the start of a session in its folder's name, and the time SigV4 signs. Nil for a
    /// date `gmtime_r` cannot place.
    public static func compactUTC(_ date: Date) -> String? {
        guard let (parts, _) = utc(date) else { return nil }
        return digits(parts.tm_year + 1900, 4) + digits(parts.tm_mon + 1, 2) + digits(parts.tm_mday, 2) + "T"
            + digits(parts.tm_hour, 2) + digits(parts.tm_min, 2) + digits(parts.tm_sec, 2) + "Z"
    }

    /// The date's calendar fields in UTC and its milliseconds into the second, both rounded down.
    private static func utc(_ date: Date) -> (tm, Int32)? {
        let interval = date.timeIntervalSince1970
        let seconds = interval.rounded(.down)
        guard seconds.isFinite, abs(seconds) < 1e15 else { return nil }
        let milliseconds = Int32(min(999, max(0, ((interval - seconds) * 1000).rounded(.down))))
        var time = time_t(Int64(seconds))
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return nil }
        return (parts, milliseconds)
    }

    private static func digits(_ value: Int32, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
