/// The retransmission timeout estimator of RFC 4960 section 6.3.1 (Jacobson/Karels, as TCP).
///
/// RFC 4960's 1 s minimum is tuned for the open Internet; data channels over ICE usually run on
/// a measured path, so like the browser stacks we allow 200 ms.
struct RetransmissionTimeout {
    static let initial: Duration = .seconds(1)
    static let minimum: Duration = .milliseconds(200)
    static let maximum: Duration = .seconds(60)

    private var smoothed: Duration?
    private var variation: Duration = .zero
    private(set) var value: Duration = initial

    mutating func measured(_ rtt: Duration) {
        guard rtt >= .zero else { return }
        if let previous = smoothed {
            // alpha = 1/8, beta = 1/4
            let deviation = previous > rtt ? previous - rtt : rtt - previous
            variation = variation * 3 / 4 + deviation / 4
            smoothed = previous * 7 / 8 + rtt / 8
        } else {
            smoothed = rtt
            variation = rtt / 2
        }
        if let smoothed { value = clamp(smoothed + variation * 4) }
    }

    /// RFC 4960 6.3.3 E2: every expiry doubles the timeout.
    mutating func backOff() { value = clamp(value * 2) }

    private func clamp(_ duration: Duration) -> Duration {
        min(max(duration, Self.minimum), Self.maximum)
    }
}
