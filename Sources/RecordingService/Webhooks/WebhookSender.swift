import Foundation
import Logging
import News
import ServiceLifecycle
import Synchronization

/// Delivers the outbox to the configured URL, oldest first, one at a time (so a receiver sees events in
/// the order they happened): signed (`WebhookSignature`), retried with exponential backoff (1 s … 60 s)
/// while the receiver is down or answers other than 2xx. On shutdown it keeps delivering until the outbox
/// is empty or `flushTime` is over; what is left stays on disk for the next start.
struct WebhookSender: Service {
    let outbox: WebhookOutbox
    let url: URL
    let secret: String
    let fetcher: HTTPFetcher
    let metrics: ServiceMetrics
    let logger: Logger
    let flushTime: Duration

    func run() async throws {
        let shutdownAt = Mutex<ContinuousClock.Instant?>(nil)
        let wakeups = outbox.wakeups
        let (interrupts, interrupt) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let forward = Task {
            for await _ in wakeups { interrupt.yield() }
        }
        defer { forward.cancel() }
        await withGracefulShutdownHandler {
            var backoff = Duration.seconds(1)
            var waiting = interrupts.makeAsyncIterator()
            while !Task.isCancelled {
                let deadline = shutdownAt.withLock { $0.map { $0 + flushTime } }
                if let deadline, ContinuousClock.now >= deadline {
                    logger.warning("webhooks: \(outbox.count) delivery(ies) left for the next start")
                    return
                }
                guard let pending = outbox.head else {
                    if deadline != nil { return }
                    _ = await waiting.next()
                    continue
                }
                guard let body = outbox.body(of: pending) else {
                    logger.error("webhooks: \(pending.path) unreadable; dropped")
                    outbox.delivered(pending)
                    continue
                }
                if await attempt(body) {
                    outbox.delivered(pending)
                    backoff = .seconds(1)
                    continue
                }
                // Sleep through the backoff in short naps, so a shutdown starts the flush at once.
                let wake = ContinuousClock.now + backoff
                while ContinuousClock.now < wake, !Task.isCancelled {
                    let flushEnds = shutdownAt.withLock { $0.map { $0 + flushTime } }
                    if let flushEnds, ContinuousClock.now >= flushEnds { break }
                    try? await Task.sleep(for: .milliseconds(100))
                }
                backoff = min(backoff * 2, .seconds(60))
            }
        } onGracefulShutdown: {
            shutdownAt.withLock { $0 = .now }
            interrupt.yield()
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
