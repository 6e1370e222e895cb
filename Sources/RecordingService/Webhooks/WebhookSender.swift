import Foundation
import Logging
import News
import ServiceLifecycle

/// Delivers the outbox to the configured URL through a `DurableQueueWorker` (oldest first, one at a time,
/// backoff, flush on shutdown), each delivery signed (`WebhookSignature`); anything but a 2xx is retried.
struct WebhookSender: Service {
    let outbox: DurableQueue
    let url: URL
    let secret: String
    let fetcher: HTTPFetcher
    let metrics: ServiceMetrics
    let logger: Logger
    let flushTime: Duration

    func run() async throws {
        await DurableQueueWorker(queue: outbox, flushTime: flushTime, logger: logger).run { _, body in
            await attempt(body) ? .done : .retry
        }
    }

    private func attempt(_ body: [UInt8]) async -> Bool {
        let event = try? JSONDecoder().decode(WebhookEvent.self, from: Data(body))
        let timestamp = Int64(Date().timeIntervalSince1970)
        metrics.webhookAttempted()
        do {
            let status = try await fetcher.post(url, body: body, headers: [
                ("Content-Type", "application/json"),
                ("User-Agent", "EngageBot-Webhooks/1.0"),
                ("X-EngageBot-Event", event?.type.rawValue ?? "unknown"),
                ("X-EngageBot-Delivery", event?.id ?? "unknown"),
                (WebhookSignature.header, WebhookSignature.sign(body: body, secret: secret, timestamp: timestamp)),
            ])
            if (200...299).contains(status) { return true }
            metrics.webhookFailed()
            logger.warning("webhooks: \(event?.type.rawValue ?? "?") to \(url) answered HTTP \(status); retrying")
        } catch {
            metrics.webhookFailed()
            logger.warning("webhooks: \(event?.type.rawValue ?? "?") to \(url) failed: \(error); retrying")
        }
        return false
    }
}
