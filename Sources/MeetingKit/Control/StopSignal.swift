import Foundation
import Synchronization

/// Resolves on SIGINT/SIGTERM (when asked to listen for them), on `request()`, or at a deadline,
/// whichever comes first.
///
/// Unchecked: the dispatch sources are set up once in `init` and only kept alive afterwards; the
/// flag is a Mutex.
public final class StopSignal: @unchecked Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let sources: [any DispatchSourceSignal]
    private let requested = Mutex(false)

    /// - Parameter listensToSignals: whether SIGINT and SIGTERM request the stop (a command's whole
    ///   process); false for one recording among many in a service, stopped only by `request()`.
    public init(listensToSignals: Bool = true) {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.stream = stream
        self.continuation = continuation
        var made: [any DispatchSourceSignal] = []
        if listensToSignals {
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                made.append(source)
            }
        }
        sources = made
        for source in sources {
            source.setEventHandler { [weak self] in self?.request() }
            source.resume()
        }
    }

    public var isRequested: Bool { requested.withLock { $0 } }

    public func request() {
        requested.withLock { $0 = true }
        continuation.yield()
    }

    /// Returns when stopped or at `deadline` (nil: only a stop).
    public func wait(until deadline: ContinuousClock.Instant?) async {
        if isRequested { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [stream] in
                for await _ in stream { return }
            }
            if let deadline {
                group.addTask { try? await Task.sleep(until: deadline) }
            }
            await group.next()
            group.cancelAll()
        }
        // The stream holds one element; a second waiter must still see the stop.
        if isRequested { continuation.yield() }
    }

    public func wait(timeout: Duration?) async {
        await wait(until: timeout.map { ContinuousClock.now + $0 })
    }
}
