import Foundation
import Logging
import MeetingKit
import Mesh
import MeshIO
import NIOCore
import OperatorInput
import Recorder

/// Every recording of one service process: starts them on request, within the admission budget, and
/// keeps each independent (its own meeting, task, folder and logger metadata), so one room's failure or
/// hostile participant never reaches another.
public actor RecordingRegistry {
    /// Finished recordings kept for `GET` before the oldest are forgotten (their files stay on disk).
    static let retainedFinished = 1_000

    private let configuration: ServiceConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let metrics: ServiceMetrics
    private let outbox: DurableQueue?
    private let files: FinishedFiles
    private var recordings: [String: ServiceRecording] = [:]
    private var order: [String] = []
    private(set) var isDraining = false

    init(configuration: ServiceConfiguration, group: any EventLoopGroup, logger: Logger, metrics: ServiceMetrics,
         outbox: DurableQueue?, files: FinishedFiles) {
        self.outbox = outbox
        self.files = files
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.metrics = metrics
    }

    /// Admission is open: not draining and within the budget.
    public func admissionRefusal() async -> String? {
        let active = recordings.values.filter(\.isActive)
        var participants = 0
        for recording in active { participants += await recording.meeting.snapshot().openConnections }
        return configuration.admission.refusal(activeRecordings: active.count, activeParticipants: participants,
                                               draining: isDraining)
    }

    func create(_ request: RecordingRequest) async throws(APIProblem) -> ServiceRecording {
        let (configured, checked) = try meetingConfiguration(for: request)
        var meetingConfiguration = configured
        if let refusal = await admissionRefusal() {
            metrics.recordingRefused()
            throw .unavailable(refusal)
        }
        let id = Crypto.randomBytes(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        meetingConfiguration.outputRoot = (configuration.outputRoot as NSString).appendingPathComponent(id)
        var recordingLogger = logger
        recordingLogger[metadataKey: "recording"] = "\(id)"
        recordingLogger[metadataKey: "room"] = "\(meetingConfiguration.roomURL)"
        let recording: ServiceRecording
        do {
            recording = try ServiceRecording(
                id: id, request: request, configuration: meetingConfiguration,
                maximumDuration: checked.maximumDuration,
                outbox: outbox, files: files, group: group, logger: recordingLogger)
        } catch {
            throw .unavailable("the recording could not start: \(error)")
        }
        recordings[id] = recording
        order.append(id)
        forgetOldFinished()
        metrics.recordingStarted()
        recordingLogger.info("recording \(id) of \(meetingConfiguration.roomURL) starts")
        recording.start { [metrics] recording in
            let view = await recording.view()
            metrics.recordingEnded(failed: view.state == .failed)
        }
        return recording
    }

    func recording(_ id: String) -> ServiceRecording? { recordings[id] }

    func all() -> [ServiceRecording] { order.compactMap { recordings[$0] } }

    /// Stops admitting, then stops every recording at once and waits for them (or for `grace`).
    public func drain(grace: Duration) async {
        isDraining = true
        let active = recordings.values.filter(\.isActive)
        logger.notice("draining: finishing \(active.count) recording(s) within \(grace.milliseconds) ms")
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                await withTaskGroup(of: Void.self) { stops in
                    for recording in active { stops.addTask { await recording.stop() } }
                }
            }
            tasks.addTask { try? await Task.sleep(for: grace) }
            await tasks.next()
            tasks.cancelAll()
        }
        let unfinished = recordings.values.filter(\.isActive).count
        if unfinished > 0 {
            logger.error("grace period over with \(unfinished) recording(s) unfinished; their files stay playable, `engage-bot repair` finalizes them")
        } else {
            logger.notice("drained: every recording finished")
        }
    }

    /// What `/metrics` reports, refreshed from every recording's current state.
    public func refreshMetrics() async {
        var views: [RecordingView] = []
        for recording in recordings.values { views.append(await recording.view()) }
        metrics.update(views: views, admitting: await admissionRefusal() == nil)
    }

    private func forgetOldFinished() {
        guard order.count > Self.retainedFinished else { return }
        var excess = order.count - Self.retainedFinished
        order.removeAll { id in
            guard excess > 0, let recording = recordings[id], !recording.isActive else { return false }
            recordings[id] = nil
            excess -= 1
            return true
        }
    }

    /// Checks a request and turns it into a meeting's configuration; a bad request is a 400, never a crash.
    private func meetingConfiguration(for request: RecordingRequest) throws(APIProblem)
        -> (meeting: Meeting.Configuration, checked: CheckedRecordingRequest)
    {
        let roomURL: RoomURL
        do {
            roomURL = try RoomURL(parsing: request.roomURL)
        } catch {
            throw .badRequest("room_url: \(error)")
        }
        let checked: CheckedRecordingRequest
        do {
            checked = try request.checked(defaultBotName: configuration.defaultBotName)
        } catch {
            throw .badRequest(error.description)
        }
        let news = checked.news.map {
            Meeting.NewsSettings(feeds: $0.feeds, period: $0.period, onJoin: $0.onJoin, maximumPerPost: $0.maximumPerPost)
        }
        var meeting = Meeting.Configuration(roomURL: roomURL, name: checked.botName, outputRoot: configuration.outputRoot,
                                            interface: configuration.interface, say: checked.announcements, news: news)
        // One recording among many: only the service's drain stops it, and a room that cannot be reached
        // fails this recording instead of waiting for it forever.
        meeting.stopsOnSignals = false
        meeting.joinAttempts = 4
        return (meeting, checked)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
