/// A point on a monotonic clock, in nanoseconds since an arbitrary origin.
///
/// The sans-IO cores never read a clock: the edge reads one and passes `Timestamp`s in.
/// Tests pass virtual time.
public struct Timestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public static func milliseconds(_ value: Int64) -> Timestamp { Timestamp(nanoseconds: value * 1_000_000) }
    public static func seconds(_ value: Double) -> Timestamp { Timestamp(nanoseconds: Int64(value * 1e9)) }
    public static let zero = Timestamp(nanoseconds: 0)

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public func adding(_ duration: Duration) -> Timestamp {
        Timestamp(nanoseconds: nanoseconds + duration.nanoseconds)
    }
    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp { lhs.adding(rhs) }
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        .nanoseconds(lhs.nanoseconds - rhs.nanoseconds)
    }

    public var secondsValue: Double { Double(nanoseconds) / 1e9 }
    public var description: String { "t+\(Double(nanoseconds / 1_000) / 1e3)ms" }
}

extension Duration {
    /// The whole duration in nanoseconds, saturating beyond Int64's ±292 years (far outside any protocol
    /// timer's range, but not outside what a request may ask for: `/every 9999999999s`).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        if sumOverflow { return attoseconds < 0 ? .min : .max }
        return sum
    }
    public var secondsValue: Double { Double(nanoseconds) / 1e9 }
}

/// The earliest of optional deadlines, each tagged with why it is due.
public struct Deadline: Sendable, Equatable, CustomStringConvertible {
    public var at: Timestamp
    public var reason: String

    public init(at: Timestamp, reason: String) {
        self.at = at
        self.reason = reason
    }

    public static func earliest(_ candidates: [Deadline?]) -> Deadline? {
        candidates.compactMap { $0 }.min { $0.at < $1.at }
    }

    /// The earlier of two (the first on a tie), without the array `earliest(_:)` takes: for deadlines
    /// computed after every datagram.
    @inline(__always)
    public static func earlier(_ first: Deadline?, _ second: Deadline?) -> Deadline? {
        guard let first else { return second }
        guard let second else { return first }
        return second.at < first.at ? second : first
    }

    public var description: String { "\(reason) at \(at)" }
}
