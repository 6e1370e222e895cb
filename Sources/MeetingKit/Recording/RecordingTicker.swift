import Synchronization

/// One clock for every recording of the process: each recording waits for the next tick (every
/// `RecordingTask.batchInterval`) instead of sleeping on a timer of its own.
///
/// A timer per recording cost a wake-up of Dispatch's timer thread and of a pool thread for each
/// recording ten times a second (1,000 at 100 participants), ~6 % of the recorder's CPU at 20 in the
/// stage profile. With one ticker, all recordings wake together on one timer and run back to back on
/// the threads already awake (docs/architecture.md, the path of one packet).
///
/// The ticker runs only while some recording waits: it stops after a tick that found nobody waiting
/// and starts again with the next wait.
final class RecordingTicker: Sendable {
    static let shared = RecordingTicker(interval: RecordingTask.batchInterval)

    /// What a recording waits on: rung by the ticker, or at once by `RecordingTask.finish`.
    final class Alarm: Sendable {
        private struct State {
            var waiting: CheckedContinuation<Void, Never>?
            /// Rung while nobody waited: the next wait returns at once.
            var rung = false
        }

        private let state = Mutex(State())

        /// Returns at the next ring, or at once if one came since the last wait returned. `ticker` learns
        /// of the wait first, so that it rings within one interval.
        func wait(on ticker: RecordingTicker) async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ringNow = state.withLock { state in
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    state.waiting = continuation
                    return false
                }
                if ringNow {
                    continuation.resume()
                } else {
                    ticker.add(self)
                }
            }
        }

        func ring() {
            let waiting = state.withLock { state in
                let waiting = state.waiting
                state.waiting = nil
                if waiting == nil { state.rung = true }
                return waiting
            }
            waiting?.resume()
        }
    }

    private struct State {
        var waiting: [Alarm] = []
        var isRunning = false
    }

    private let state = Mutex(State())
    private let interval: Duration

    init(interval: Duration) {
        self.interval = interval
    }

    private func add(_ alarm: Alarm) {
        let start = state.withLock { state in
            state.waiting.append(alarm)
            guard !state.isRunning else { return false }
            state.isRunning = true
            return true
        }
        guard start else { return }
        let interval = interval
        Task.detached { [self] in
            while true {
                try? await Task.sleep(for: interval)
                let due = state.withLock { state in
                    let due = state.waiting
                    state.waiting.removeAll(keepingCapacity: true)
                    if due.isEmpty { state.isRunning = false }
                    return due
                }
                if due.isEmpty { return }
                for alarm in due { alarm.ring() }
            }
        }
    }
}
