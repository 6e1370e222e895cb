@testable import MeetingKit
import Testing

/// The stop every loop of a meeting waits on: a timed wait must really wait, however many came before it.
@Suite struct StopSignalTests {
    @Test func everyTimedWaitWaitsItsTimeUntilAStopIsRequested() async {
        let stop = StopSignal(listensToSignals: false)
        for _ in 0..<3 {
            let started = ContinuousClock.now
            await stop.wait(timeout: .milliseconds(30))
            #expect(ContinuousClock.now - started >= .milliseconds(30), "a timed wait returned early")
        }
        #expect(!stop.isRequested)
    }

    @Test(.timeLimit(.minutes(1))) func aRequestEndsEveryWaitAtOnceAndLaterWaitsReturnImmediately() async {
        let stop = StopSignal(listensToSignals: false)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { await stop.wait(until: nil) }
            }
            group.addTask { await stop.wait(timeout: .seconds(600)) }
            try? await Task.sleep(for: .milliseconds(20))
            stop.request()
            await group.waitForAll()
        }
        #expect(stop.isRequested)
        await stop.wait(until: nil)
    }
}
