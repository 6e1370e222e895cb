import Foundation
import Mesh
import MeshIO
import Recorder

/// The session's one clock: a monotonic instant and the wall-clock time it was read at, together.
/// Every file states where it starts on it (docs/timeline.md); wall-clock fields derive from it.
struct SessionClock: Sendable {
    let monotonic: Timestamp
    let wall: Date

    static func now() -> SessionClock { SessionClock(monotonic: MonotonicClock.now(), wall: Date()) }

    var timeline: MeetingTimeline {
        MeetingTimeline(origin: monotonic, unixNanosecondsAtOrigin: Int64(wall.timeIntervalSince1970 * 1e9))
    }

    /// Unix time at monotonic zero, for the wall-clock fields of RTCP sender reports.
    var unixNanosecondsAtMonotonicZero: Int64 {
        Int64(wall.timeIntervalSince1970 * 1e9) - monotonic.nanoseconds
    }

    func wallTime(of timestamp: Timestamp) -> Date {
        wall.addingTimeInterval((timestamp - monotonic).secondsValue)
    }
}
