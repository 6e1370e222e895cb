import Mesh
import Synchronization

/// The queue from a connection's event loop to its recording task: bounded, and drained in batches.
///
/// A camera and its microphone send ~150 packets a second. Waking the recording task for each of them
/// cost a thread hop per packet, the largest share of the packet path's CPU; so the event loop only
/// appends under a lock, and the task takes everything queued at its own pace (every 100 ms), one hop per
/// batch however many connections and packets there are (docs/architecture.md, the path of one packet).
///
/// When the disk or the CPU falls behind, media keeps arriving at network speed; an unbounded queue
/// would turn every slow second into memory until the process dies and every recording with it. So
/// the queue holds at most `capacity` inputs (about ten seconds of a 1 Mbps camera and its audio,
/// ~2.5 MB) and keeps the oldest: what is queued stays contiguous with what was already written, new
/// packets are refused at the moment they arrive, and the recording sees one gap, which its jitter
/// buffer treats as loss (a keyframe request, then clean frames). Refusals are counted, and reported
/// at the 1st, 10th, 100th… so a long stall costs few lines.
final class RecordingQueue<Element: Sendable>: Sendable {
    static var capacity: Int { 2_048 }

    private struct Contents {
        var elements: [Element] = []
        var finished = false
    }

    private let contents = Mutex(Contents())
    private let capacity: Int
    private let refusedCount = Atomic<Int>(0)

    init(capacity: Int = RecordingQueue.capacity) {
        self.capacity = capacity
    }

    var refused: Int { refusedCount.load(ordering: .relaxed) }

    /// Queues `element`; when it is refused and the refusal deserves a log line, the count so far.
    /// After `finish` nothing is queued, and nothing counted: the recording is over.
    func push(_ element: consuming Element) -> Int? {
        // Handed into the queue rather than copied: a copy of a packet retains its buffers once more.
        var handed = Optional(element)
        let accepted = contents.withLock { contents in
            guard !contents.finished else { return true }
            guard contents.elements.count < capacity else { return false }
            if let element = handed.take() { contents.elements.append(element) }
            return true
        }
        guard !accepted else { return nil }
        let count = refusedCount.add(1, ordering: .relaxed).newValue
        return DropReporting.isReportWorthy(count) ? count : nil
    }

    /// Moves everything queued, oldest first, into `batch` (which should be empty; its storage is reused
    /// for the next arrivals). Returns whether the queue is finished: then nothing more will come.
    func take(into batch: inout [Element]) -> Bool {
        contents.withLock { contents in
            swap(&contents.elements, &batch)
            return contents.finished
        }
    }

    func finish() { contents.withLock { $0.finished = true } }
}
