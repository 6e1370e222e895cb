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
    private let webhookAttempts: CoreMetrics.Counter
    private let webhookFailures: CoreMetrics.Counter
    private let uploadAttempts: CoreMetrics.Counter
    private let uploadFailures: CoreMetrics.Counter
    private let bytesUploaded: CoreMetrics.Counter
    /// Per recording, the totals already counted: counters grow by what is new since the last refresh.
    private let counted = Mutex<[String: (received: Int, lost: Int, bytes: Int)]>([:])

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
            var growth = (received: 0, lost: 0, bytes: 0)
            for view in views {
                let before = counted[view.id] ?? (0, 0, 0)
                growth.received += max(view.packetsReceived - before.received, 0)
                growth.lost += max(view.packetsLost - before.lost, 0)
                growth.bytes += max(view.bytesWritten - before.bytes, 0)
                counted[view.id] = (max(view.packetsReceived, before.received), max(view.packetsLost, before.lost),
                                    max(view.bytesWritten, before.bytes))
            }
            let present = Set(views.map(\.id))
            counted = counted.filter { present.contains($0.key) }
            return growth
        }
        packetsReceived.increment(by: growth.received)
        packetsLost.increment(by: growth.lost)
        bytesWritten.increment(by: growth.bytes)
    }

    public func prometheusText() -> String { registry.emitToString() }
}
