import Foundation
import Logging
import Mesh
import OperatorInput

/// Runs announcement schedules: posts each one's text whenever it is due, until cancelled.
final class AnnouncementScheduler {
    private var running: [Task<Void, Never>] = []
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func start(_ schedule: AnnouncementSchedule, post: @escaping @Sendable (String) async -> Void) {
        let setAt = Date()
        let first = schedule.nextFire(after: setAt, setAt: setAt)
        logger.info("announcement scheduled, first at \(ISOTime.string(first)): \(schedule.command.logSafe)")
        running.append(Task {
            var now = Date()
            while !Task.isCancelled {
                let due = schedule.nextFire(after: now, setAt: setAt)
                try? await Task.sleep(for: AnnouncementSchedule.sleep(until: due, from: Date()))
                if Task.isCancelled { return }
                await post(schedule.text)
                now = due
            }
        })
    }

    func cancelAll() {
        for task in running { task.cancel() }
        running = []
    }
}
