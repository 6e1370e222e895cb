import Foundation

extension Duration {
    public var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// The one way times are written into manifests, transcripts and logs: ISO 8601 in UTC with milliseconds.
public enum ISOTime {
    public static func string(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// `20261205T071500Z`: the start of a session in its folder's name, and the time SigV4 signs. Computed
    /// with `gmtime_r`, not a `DateFormatter`, which loads ICU's locale and calendar data (2.4 MB of a
    /// recorder's resident memory, for one string). Nil for a date `gmtime_r` cannot place.
    public static func compactUTC(_ date: Date) -> String? {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds.isFinite, abs(seconds) < 1e15 else { return nil }
        var time = time_t(Int64(seconds))
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return nil }
        func digits(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return digits(parts.tm_year + 1900, 4) + digits(parts.tm_mon + 1, 2) + digits(parts.tm_mday, 2) + "T"
            + digits(parts.tm_hour, 2) + digits(parts.tm_min, 2) + digits(parts.tm_sec, 2) + "Z"
    }
}
