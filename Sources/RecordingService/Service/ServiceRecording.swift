import Foundation
import Logging
import MeetingKit
import Mesh
import MeshIO
import NIOCore
import OperatorInput
import Synchronization

/// One recording of the service: a `Meeting` in its own task, its request, and how it ended.
final class ServiceRecording: Sendable {
    private struct Status {
        var stopRequested = false
        var ended: (state: RecordingState, failure: String?, at: Date)?
    }

    let id: String
    let request: RecordingRequest
    let botName: String
    let createdAt: Date
    let meeting: Meeting
    private let maximumDuration: Duration?
    private let status = Mutex(Status())
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let logger: Logger

    private let events: RecordingEventEmitter?
    private let files: FinishedFiles
    private let described: WebhookEvent.Recording

    init(id: String, request: RecordingRequest, configuration: Meeting.Configuration, maximumDuration: Duration?,
         outbox: DurableQueue?, files: FinishedFiles, group: any EventLoopGroup, logger: Logger) throws {
        self.id = id
        self.request = request
        self.botName = configuration.name
        self.createdAt = Date()
        self.maximumDuration = maximumDuration
        self.logger = logger
        let described = WebhookEvent.Recording(id: id, roomURL: request.roomURL, botName: configuration.name,
                                               metadata: request.metadata ?? [:])
        self.described = described
        let events = outbox.map { RecordingEventEmitter(outbox: $0, recording: described) }
        self.events = events
        self.files = files
        var configuration = configuration
        if events != nil || !files.isEmpty {
            configuration.observer = { observation in
                events?.observe(observation)
                if case .recordingClosed(_, let participant, let path, let bytes) = observation, bytes > 0 {
                    files.finished(FinishedFile(path: path, kind: "recording", recording: described, participant: participant))
                }
            }
        }
        meeting = try Meeting(configuration: configuration, group: group, logger: logger)
    }

    /// Runs the meeting until it ends; `ended` learns the outcome.
    func start(ended: @escaping @Sendable (ServiceRecording) async -> Void) {
        let running = Task { [self] in
            var outcome: (RecordingState, String?) = (.finished, nil)
            do {
                try await meeting.run(duration: maximumDuration)
            } catch {
                outcome = (.failed, "\(error)")
                logger.error("recording failed: \(error)")
            }
            status.withLock { $0.ended = (outcome.0, outcome.1, Date()) }
            // The end goes into the outbox before the transcripts and manifest are handed to the uploader, so
            // their file.uploaded events always follow recording.finished (docs/api.md, webhooks).
            events?.ended(failure: outcome.1)
            if !files.isEmpty, let folder = await meeting.snapshot().sessionPath {
                for (name, kind) in [("chat.jsonl", "transcript"), ("chat.txt", "transcript"), ("manifest.json", "manifest")] {
                    let path = (folder as NSString).appendingPathComponent(name)
                    if FileManager.default.fileExists(atPath: path) {
                        files.finished(FinishedFile(path: path, kind: kind, recording: described, participant: nil))
                    }
                }
            }
            await ended(self)
        }
        task.withLock { $0 = running }
    }

    /// Leaves the room and finalizes every file; returns once that is done.
    func stop() async {
        status.withLock { $0.stopRequested = true }
        meeting.requestStop()
        await task.withLock { $0 }?.value
    }

    var isActive: Bool { status.withLock { $0.ended == nil } }

    func view() async -> RecordingView {
        let snapshot = await meeting.snapshot()
        let (stopRequested, ended) = status.withLock { ($0.stopRequested, $0.ended) }
        let state: RecordingState
        if let ended {
            state = ended.state
        } else if stopRequested {
            state = .finishing
        } else {
            state = snapshot.joined ? .recording : .joining
        }
        let uploads = self.files.uploads
        let files = RecordingView.files(of: snapshot) { uploads?.isUploaded($0) ?? false }
        let present = snapshot.manifest.connections.filter { $0.endedAt == nil && $0.kind == "camera" }.map(\.participant)
        return RecordingView(
            id: id, state: state, failure: ended?.failure, roomURL: request.roomURL, botName: botName,
            createdAt: ISOTime.string(createdAt), endedAt: ended.map { ISOTime.string($0.at) },
            metadata: request.metadata ?? [:], sessionPath: snapshot.sessionPath,
            participants: Array(Set(present)).sorted(), files: files,
            packetsReceived: files.reduce(0) { $0 + $1.packetsReceived },
            packetsLost: files.reduce(0) { $0 + $1.packetsLost },
            packetsRepaired: files.reduce(0) { $0 + $1.packetsRepaired },
            keyframeRequests: files.reduce(0) { $0 + $1.keyframeRequests },
            bytesWritten: files.reduce(0) { $0 + $1.bytes })
    }
}
