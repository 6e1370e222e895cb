import Logging
import Mesh
import MeshIO
import Recorder

/// The recordings of a meeting: one task per connection, each writing its own file in the session folder.
struct ConnectionRecordings {
    private var tasks: [ConnectionKey: RecordingTask] = [:]
    let session: SessionFolder
    let timeline: MeetingTimeline
    let logger: Logger

    init(session: SessionFolder, timeline: MeetingTimeline, logger: Logger) {
        self.session = session
        self.timeline = timeline
        self.logger = logger
    }

    /// Starts recording `key`: media reaches the recording through `sink` straight from the connection's
    /// event loop; keyframe requests go back to `channel`. Returns the file's name in the session folder.
    mutating func start(_ key: ConnectionKey, peer: String, channel: PeerConnectionChannel, sink: MediaSink,
                        report: @escaping @Sendable ([ParticipantRecorder.TrackStatistics], ParticipantRecorder.Placement?) async -> Void,
                        stopped: @escaping @Sendable (String) async -> Void)
        -> String {
        let recording = RecordingTask(
            key: key, peer: peer, session: session, timeline: timeline, logger: logger,
            requestKeyframe: { ssrc, fullIntra in
                channel.perform { connection, now in
                    if fullIntra {
                        connection.requestFullIntra(ssrc: ssrc, at: now)
                    } else {
                        connection.requestKeyframe(ssrc: ssrc, at: now)
                    }
                }
            },
            report: report, stopped: stopped)
        tasks[key] = recording
        sink.attach(recording)
        return recording.fileName
    }

    func deliver(_ input: RecordingTask.Input, to key: ConnectionKey) {
        tasks[key]?.deliver(input)
    }

    /// Hands back the recording of `key` for the caller to finish (finishing waits for the disk).
    mutating func remove(_ key: ConnectionKey) -> RecordingTask? {
        tasks.removeValue(forKey: key)
    }
}
