import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// The service's figures for dashboards (`GET /metrics`, Prometheus text): recorded through swift-metrics
/// into a Prometheus registry of the service's own (no process-wide bootstrap, so each service instance
/// reports only itself).
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let recordingsActive: CoreMetrics.Gauge
    private let participantsActive: CoreMetrics.Gauge
    private let admissionOpen: CoreMetrics.Gauge
    private let eventLoopLagGauge: CoreMetrics.Gauge
    private let recordingsStarted: CoreMetrics.Counter
    private let recordingsFinished: CoreMetrics.Counter
    private let recordingsFailed: CoreMetrics.Counter
    private let recordingsRefused: CoreMetrics.Counter
    private let packetsReceived: CoreMetrics.Counter
    private let packetsLost: CoreMetrics.Counter
    private let bytesWritten: CoreMetrics.Counter
    private let packetsRepaired: CoreMetrics.Counter
    private let keyframeRequests: CoreMetrics.Counter
    private let webhookAttempts: CoreMetrics.Counter
    private let webhookFailures: CoreMetrics.Counter
    private let uploadAttempts: CoreMetrics.Counter
    private let uploadFailures: CoreMetrics.Counter
    private let bytesUploaded: CoreMetrics.Counter
    /// Per recording, the totals already counted: counters grow by what is new since the last refresh.
    private let counted = Mutex<[String: Totals]>([:])

    /// The figures of one recording that only grow, as counters take them.
    private struct Totals {
        var received = 0, lost = 0, repaired = 0, keyframeRequests = 0, bytes = 0
        static var fields: [WritableKeyPath<Totals, Int>] { [\.received, \.lost, \.repaired, \.keyframeRequests, \.bytes] }

        init() {}

        init(_ view: RecordingView) {
            received = view.packetsReceived
            lost = view.packetsLost
            repaired = view.packetsRepaired
            keyframeRequests = view.keyframeRequests
            bytes = view.bytesWritten
        }

        /// What `newer` adds to `self`, never negative; and the larger of the two for next time.
        func growth(to newer: Totals) -> (added: Totals, kept: Totals) {
            var added = Totals(), kept = Totals()
            for field in Self.fields {
                added[keyPath: field] = max(newer[keyPath: field] - self[keyPath: field], 0)
                kept[keyPath: field] = max(newer[keyPath: field], self[keyPath: field])
            }
            return (added, kept)
        }
    }

    public init() {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        self.registry = registry
        recordingsActive = CoreMetrics.Gauge(label: "engagebot_recordings_active", factory: factory)
        participantsActive = CoreMetrics.Gauge(label: "engagebot_participants_active", factory: factory)
        admissionOpen = CoreMetrics.Gauge(label: "engagebot_admission_open", factory: factory)
        eventLoopLagGauge = CoreMetrics.Gauge(label: "engagebot_event_loop_lag_seconds", factory: factory)
        recordingsStarted = CoreMetrics.Counter(label: "engagebot_recordings_started_total", factory: factory)
        recordingsFinished = CoreMetrics.Counter(label: "engagebot_recordings_finished_total", factory: factory)
        recordingsFailed = CoreMetrics.Counter(label: "engagebot_recordings_failed_total", factory: factory)
        recordingsRefused = CoreMetrics.Counter(label: "engagebot_recordings_refused_total", factory: factory)
        packetsReceived = CoreMetrics.Counter(label: "engagebot_packets_received_total", factory: factory)
        packetsLost = CoreMetrics.Counter(label: "engagebot_packets_lost_total", factory: factory)
        bytesWritten = CoreMetrics.Counter(label: "engagebot_bytes_written_total", factory: factory)
        packetsRepaired = CoreMetrics.Counter(label: "engagebot_packets_repaired_total", factory: factory)
        keyframeRequests = CoreMetrics.Counter(label: "engagebot_keyframe_requests_total", factory: factory)
        webhookAttempts = CoreMetrics.Counter(label: "engagebot_webhook_attempts_total", factory: factory)
        webhookFailures = CoreMetrics.Counter(label: "engagebot_webhook_failures_total", factory: factory)
        uploadAttempts = CoreMetrics.Counter(label: "engagebot_upload_attempts_total", factory: factory)
        uploadFailures = CoreMetrics.Counter(label: "engagebot_upload_failures_total", factory: factory)
        bytesUploaded = CoreMetrics.Counter(label: "engagebot_bytes_uploaded_total", factory: factory)
    }

    func recordingStarted() { recordingsStarted.increment() }
    func recordingRefused() { recordingsRefused.increment() }

    func recordingEnded(failed: Bool) {
        if failed { recordingsFailed.increment() } else { recordingsFinished.increment() }
    }

    func webhookAttempted() { webhookAttempts.increment() }
    func uploadAttempted() { uploadAttempts.increment() }
    func uploadFailed() { uploadFailures.increment() }
    func uploaded(bytes: Int) { bytesUploaded.increment(by: Int64(bytes)) }
    func webhookFailed() { webhookFailures.increment() }

    func eventLoopLag(seconds: Double) { eventLoopLagGauge.record(seconds) }

    /// Folds the recordings' current state into the gauges and counters.
    func update(views: [RecordingView], admitting: Bool) {
        let active = views.filter { $0.state.isActive }
        recordingsActive.record(active.count)
        participantsActive.record(active.reduce(0) { $0 + $1.participants.count })
        admissionOpen.record(admitting ? 1 : 0)
        let growth = counted.withLock { counted in
            var growth = Totals()
            for view in views {
                let (added, kept) = (counted[view.id] ?? Totals()).growth(to: Totals(view))
                for field in Totals.fields {
                    growth[keyPath: field] += added[keyPath: field]
                }
                counted[view.id] = kept
            }
            let present = Set(views.map(\.id))
            counted = counted.filter { present.contains($0.key) }
            return growth
        }
        packetsReceived.increment(by: growth.received)
        packetsLost.increment(by: growth.lost)
        packetsRepaired.increment(by: growth.repaired)
        keyframeRequests.increment(by: growth.keyframeRequests)
        bytesWritten.increment(by: growth.bytes)
    }

    public func prometheusText() -> String { registry.emitToString() }
}
