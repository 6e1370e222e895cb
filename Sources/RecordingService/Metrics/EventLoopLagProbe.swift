import NIOCore
import ServiceLifecycle

/// Measures how late the event loops run a task (every connection and every request shares them), once
/// a second, and reports the worst loop: a recorder falling behind shows here before it loses packets.
struct EventLoopLagProbe: Service {
    let group: any EventLoopGroup
    let metrics: ServiceMetrics

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var worst = Duration.zero
            for loop in group.makeIterator() {
                let asked = ContinuousClock.now
                let ran = try? await loop.submit { ContinuousClock.now }.get()
                if let ran { worst = max(worst, ran - asked) }
            }
            metrics.eventLoopLag(seconds: Double(worst.components.attoseconds) / 1e18 + Double(worst.components.seconds))
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
