import Synchronization

/// Where a connection's media goes before its recording exists (it never has packets that early:
/// DTLS comes first), and after.
final class MediaSink: Sendable {
    private let recording = Mutex<RecordingTask?>(nil)

    func attach(_ task: RecordingTask) { recording.withLock { $0 = task } }

    func deliver(_ input: consuming RecordingTask.Input) {
        recording.withLock { $0 }?.deliver(input)
    }
}
