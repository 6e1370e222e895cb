import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Works through a `DurableQueue` oldest first, one item at a time (a webhook receiver sees events in the
/// order they happened), retrying with exponential backoff (1 s … 60 s) while `attempt` fails. On shutdown
/// it keeps going until the queue is empty or `flushTime` is over; what is left stays on disk for the next start.
struct DurableQueueWorker: Sendable {
    enum Outcome {
        case done
        /// Not now: the same item again after the backoff.
        case retry
        /// Never: logged and removed (an item that cannot be read, a file that no longer exists).
        case abandon(String)
    }

    let queue: DurableQueue
    let flushTime: Duration
    let logger: Logger

    /// Runs until cancelled, or until a graceful shutdown has flushed what it could within `flushTime`;
    /// wakes when an item is queued.
    func run(attempt: (DurableQueue.Pending, [UInt8]) async -> Outcome) async {
        let shutdownAt = Mutex<ContinuousClock.Instant?>(nil)
        let wakeups = queue.wakeups
        let (interrupts, interrupt) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let forward = Task {
            for await _ in wakeups { interrupt.yield() }
        }
        defer { forward.cancel() }
        await withGracefulShutdownHandler {
            await work(shutdownAt: shutdownAt, interrupts: interrupts, attempt: attempt)
        } onGracefulShutdown: {
            shutdownAt.withLock { $0 = .now }
            interrupt.yield()
        }
    }

    private func work(shutdownAt: borrowing Mutex<ContinuousClock.Instant?>, interrupts: AsyncStream<Void>,
                      attempt: (DurableQueue.Pending, [UInt8]) async -> Outcome) async {
        var backoff = Duration.seconds(1)
        var waiting = interrupts.makeAsyncIterator()
        while !Task.isCancelled {
            let deadline = shutdownAt.withLock { $0.map { $0 + flushTime } }
            if let deadline, ContinuousClock.now >= deadline {
                if queue.count > 0 { logger.warning("\(queue.name): \(queue.count) item(s) left for the next start") }
                return
            }
            guard let pending = queue.head else {
                if deadline != nil { return }
                _ = await waiting.next()
                continue
            }
            guard let body = queue.body(of: pending) else {
                logger.error("\(queue.name): \(pending.path) unreadable; dropped")
                queue.delivered(pending)
                continue
            }
            switch await attempt(pending, body) {
            case .done:
                queue.delivered(pending)
                backoff = .seconds(1)
                continue
            case .abandon(let reason):
                logger.error("\(queue.name): \(reason); dropped")
                queue.delivered(pending)
                continue
            case .retry:
                break
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
    }
}
