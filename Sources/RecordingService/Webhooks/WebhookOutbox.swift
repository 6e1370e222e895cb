import Foundation
import Logging
import Mesh
import Synchronization

/// Webhook deliveries not yet acknowledged, one file each in a folder on disk (named by sequence, so a
/// listing is the order they happened in): a restarted service delivers what was pending before.
/// Bounded: beyond `capacity` pending deliveries new events are refused, counted and logged.
final class WebhookOutbox: Sendable {
    struct Pending: Sendable, Equatable {
        var sequence: UInt64
        var path: String
    }

    static let capacity = 10_000

    let directory: String
    let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let state: Mutex<(pending: [Pending], nextSequence: UInt64, refused: Int)>
    private let logger: Logger

    init(directory: String, logger: Logger) throws {
        self.directory = directory
        self.logger = logger
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var pending: [Pending] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".json") {
            guard let sequence = UInt64(name.prefix { $0.isNumber }) else { continue }
            pending.append(Pending(sequence: sequence, path: (directory as NSString).appendingPathComponent(name)))
        }
        pending.sort { $0.sequence < $1.sequence }
        let stored = (try? String(contentsOfFile: (directory as NSString).appendingPathComponent("sequence"), encoding: .utf8))
            .flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        let next = max(stored, pending.last.map { $0.sequence &+ 1 } ?? 0)
        state = Mutex((pending, next, 0))
        (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        if !pending.isEmpty { logger.notice("webhooks: \(pending.count) delivery(ies) pending from before") }
    }

    /// Numbers, stores and queues the event `make` builds from its sequence and delivery id.
    @discardableResult
    func enqueue(_ make: (_ sequence: UInt64, _ deliveryID: String) -> WebhookEvent) -> Bool {
        let stored: Bool = state.withLock { state in
            guard state.pending.count < Self.capacity else {
                state.refused += 1
                if DropReporting.isReportWorthy(state.refused) {
                    logger.error("webhooks: outbox full (\(Self.capacity) pending); \(state.refused) event(s) dropped so far")
                }
                return false
            }
            let sequence = state.nextSequence
            state.nextSequence &+= 1
            let id = Crypto.randomBytes(12).map { String(format: "%02x", $0) }.joined()
            let event = make(sequence, id)
            let path = (directory as NSString).appendingPathComponent(String(format: "%020llu", sequence) + "-\(id).json")
            // Written aside, then renamed: a listing never sees half an event.
            let temporary = path + ".partial"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(event.encoded())),
                  rename(temporary, path) == 0 else {
                logger.error("webhooks: \(event.type.rawValue) not stored in \(directory): \(String(cString: strerror(errno)))")
                return false
            }
            writeSequence(state.nextSequence)
            state.pending.append(Pending(sequence: sequence, path: path))
            return true
        }
        if stored { wake.yield() }
        return stored
    }

    var head: Pending? { state.withLock { $0.pending.first } }
    var count: Int { state.withLock { $0.pending.count } }

    func body(of pending: Pending) -> [UInt8]? {
        FileManager.default.contents(atPath: pending.path).map { Array($0) }
    }

    /// The receiver acknowledged it (2xx): gone from disk and from the queue.
    func delivered(_ pending: Pending) {
        state.withLock { state in
            state.pending.removeAll { $0 == pending }
            _ = unlink(pending.path)
        }
    }

    private func writeSequence(_ next: UInt64) {
        let path = (directory as NSString).appendingPathComponent("sequence")
        let temporary = path + ".partial"
        if FileManager.default.createFile(atPath: temporary, contents: Data("\(next)\n".utf8)) { _ = rename(temporary, path) }
    }
}
