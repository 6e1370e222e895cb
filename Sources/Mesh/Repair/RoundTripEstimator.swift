/// The round trip to the peer and how much it varies, as loss repair needs them.
public struct RoundTrip: Sendable, Equatable, CustomStringConvertible {
    public var smoothed: Duration
    /// Mean deviation of the samples from `smoothed`.
    public var variation: Duration

    public init(smoothed: Duration, variation: Duration) {
        self.smoothed = smoothed
        self.variation = variation
    }

    /// Until a sample arrives: a continental round trip, uncertain by half (RFC 6298's first estimate).
    public static let assumed = RoundTrip(smoothed: .milliseconds(100), variation: .milliseconds(50))

    /// How long an answer may take before it is overdue: TCP's retransmission timeout (RFC 6298).
    public var timeout: Duration { smoothed + variation * 4 }

    /// How often a missing packet is asked for again: a little over a round trip, so a repair on its way is
    /// usually not asked for twice, while a lost request or retransmission is soon tried again.
    public var retryInterval: Duration {
        min(max(smoothed + smoothed / 4, .milliseconds(20)), .milliseconds(500))
    }

    public var description: String {
        "\(smoothed.nanoseconds / 1_000_000) ms ± \(variation.nanoseconds / 1_000_000) ms"
    }
}

/// Measures the round trip from whatever tells it: report blocks on the streams we send (LSR/DLSR) and,
/// for a receive-only connection, how long a NACKed packet took to come back by RTX.
///
/// The smoothing is TCP's (RFC 6298): the estimate moves by 1/8 of each sample's error, the variation
/// by 1/4. Samples outside `plausible` are ignored, so a peer's clock error or a hostile report cannot
/// set it to a minute or to zero.
public struct RoundTripEstimator: Sendable {
    public static let plausible: ClosedRange<Duration> = .milliseconds(1)...(.seconds(10))

    public private(set) var measured: RoundTrip?
    public private(set) var samples = 0

    public init() {}

    /// The estimate, or `RoundTrip.assumed` before any sample.
    public var current: RoundTrip { measured ?? .assumed }

    public mutating func add(_ sample: Duration) {
        guard Self.plausible.contains(sample) else { return }
        samples += 1
        guard var estimate = measured else {
            measured = RoundTrip(smoothed: sample, variation: sample / 2)
            return
        }
        let error = abs(estimate.smoothed.nanoseconds - sample.nanoseconds)
        estimate.variation = .nanoseconds(estimate.variation.nanoseconds - estimate.variation.nanoseconds / 4 + error / 4)
        estimate.smoothed = .nanoseconds(estimate.smoothed.nanoseconds - estimate.smoothed.nanoseconds / 8 + sample.nanoseconds / 8)
        measured = estimate
    }
}
