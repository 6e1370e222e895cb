import Foundation
import Synchronization

/// Resolves on SIGINT/SIGTERM (when asked to listen for them), on `request()`, or at a deadline,
/// whichever comes first. Any number of waits, one after another or at once, each see the stop.
///
/// Unchecked: the dispatch sources are set up once in `init` and only kept alive afterwards; the
/// rest of the state is a Mutex.
public final class StopSignal: @unchecked Sendable {
    private struct State {
        var requested = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let sources: [any DispatchSourceSignal]
    private let state = Mutex(State())

    /// - Parameter listensToSignals: whether SIGINT and SIGTERM request the stop (a command's whole
    ///   process); false for one recording among many in a service, stopped only by `request()`.
    public init(listensToSignals: Bool = true) {
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

    public var isRequested: Bool { state.withLock { $0.requested } }

    public func request() {
        let waiters = state.withLock { state in
            state.requested = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when stopped or at `deadline` (nil: only a stop).
    public func wait(until deadline: ContinuousClock.Instant?) async {
        if isRequested { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRequest() }
            if let deadline {
                group.addTask { try? await Task.sleep(until: deadline) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    public func wait(timeout: Duration?) async {
        await wait(until: timeout.map { ContinuousClock.now + $0 })
    }

    /// Returns once a stop is requested or the waiting task is cancelled. (An AsyncStream would end for
    /// every later waiter as soon as one waiting task was cancelled: a timed wait made all later waits return
    /// at once, and the signalling loop reconnected without any backoff.)
    private func waitForRequest() async {
        let id = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.requested || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
