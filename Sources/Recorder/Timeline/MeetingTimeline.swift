import Mesh

/// The one clock every file of a recording session is placed on (docs/timeline.md).
///
/// The session's zero is a monotonic instant, paired with the wall-clock time it had, both read once
/// by the bot at the edge. A file states where its own zero falls on this clock (the manifest's
/// `timelineOffsetMilliseconds`) and the wall-clock time of its zero (WebM DateUTC), so files of one
/// meeting laid side by side by those offsets show the same instant at the same place.
public struct MeetingTimeline: Sendable, Equatable {
    /// The session's zero on the monotonic clock the connections use.
    public var origin: Timestamp
    /// Wall-clock time at `origin`, in nanoseconds since the Unix epoch.
    public var unixNanosecondsAtOrigin: Int64

    public init(origin: Timestamp, unixNanosecondsAtOrigin: Int64) {
        self.origin = origin
        self.unixNanosecondsAtOrigin = unixNanosecondsAtOrigin
    }

    /// Milliseconds from the session's zero to `instant` (negative before it).
    public func milliseconds(at instant: Timestamp) -> Int64 {
        (instant - origin).nanoseconds / 1_000_000
    }

    /// Wall-clock milliseconds since the Unix epoch at `instant`.
    public func unixMilliseconds(at instant: Timestamp) -> Int64 {
        let (nanoseconds, overflow) = unixNanosecondsAtOrigin.addingReportingOverflow((instant - origin).nanoseconds)
        return overflow ? unixNanosecondsAtOrigin / 1_000_000 : nanoseconds / 1_000_000
    }
}
