import Mesh
import Synchronization

/// The queue from a connection's event loop to its recording task, bounded.
///
/// When the disk or the CPU falls behind, media keeps arriving at network speed; an unbounded
/// queue would turn every slow second into memory until the process dies and every recording
/// with it. So the queue holds at most `capacity` inputs (about ten seconds of a 1 Mbps camera
/// and its audio, ~2.5 MB) and keeps the oldest: what is queued stays contiguous with what was
/// already written, new packets are refused at the moment they arrive, and the recording sees
/// one gap, which its jitter buffer treats as loss (a keyframe request, then clean frames).
/// Refusals are counted, and reported at the 1st, 10th, 100th… so a long stall costs few lines.
final class RecordingQueue<Element: Sendable>: Sendable {
    static var capacity: Int { 2_048 }

    let stream: AsyncStream<Element>
    private let continuation: AsyncStream<Element>.Continuation
    private let refusedCount = Atomic<Int>(0)

    init(capacity: Int = RecordingQueue.capacity) {
        (stream, continuation) = AsyncStream<Element>.makeStream(bufferingPolicy: .bufferingOldest(capacity))
    }

    var refused: Int { refusedCount.load(ordering: .relaxed) }

    /// Queues `element`; when it is refused and the refusal deserves a log line, the count so far.
    func push(_ element: Element) -> Int? {
        guard case .dropped = continuation.yield(element) else { return nil }
        let count = refusedCount.add(1, ordering: .relaxed).newValue
        return DropReporting.isReportWorthy(count) ? count : nil
    }

    func finish() { continuation.finish() }
}
