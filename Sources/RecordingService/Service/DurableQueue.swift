import Foundation
import Logging
import Mesh
import Synchronization

/// Work that must survive a restart, one file each in a folder on disk (named by sequence, so a listing is
/// the order it was queued in): webhook deliveries not yet acknowledged (`.webhook-outbox`), files not yet
/// uploaded (`.upload-outbox`). A restarted service takes up what was pending before.
/// Bounded: beyond `capacity` pending items new ones are refused, counted and logged.
final class DurableQueue: Sendable {
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

    /// What the queue holds, for log lines ("webhooks", "uploads").
    let name: String

    init(name: String, directory: String, logger: Logger) throws {
        self.name = name
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
        if !pending.isEmpty { logger.notice("\(name): \(pending.count) item(s) pending from before") }
    }

    /// Numbers, stores and queues the item `make` builds from its sequence and a unique id; `label` names
    /// it in log lines.
    @discardableResult
    func enqueue(_ make: (_ sequence: UInt64, _ id: String) -> (bytes: [UInt8], label: String)) -> Bool {
        let stored: Bool = state.withLock { state in
            guard state.pending.count < Self.capacity else {
                state.refused += 1
                if DropReporting.isReportWorthy(state.refused) {
                    logger.error("\(name): queue full (\(Self.capacity) pending); \(state.refused) item(s) dropped so far")
                }
                return false
            }
            let sequence = state.nextSequence
            state.nextSequence &+= 1
            let id = Crypto.randomBytes(12).map { String(format: "%02x", $0) }.joined()
            let item = make(sequence, id)
            let path = (directory as NSString).appendingPathComponent(String(format: "%020llu", sequence) + "-\(id).json")
            // Written aside, then renamed: a listing never sees half an item.
            let temporary = path + ".partial"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(item.bytes)),
                  rename(temporary, path) == 0 else {
                logger.error("\(name): \(item.label) not stored in \(directory): \(String(cString: strerror(errno)))")
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

    /// Done (a webhook acknowledged, a file uploaded): gone from disk and from the queue.
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
