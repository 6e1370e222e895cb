import Foundation
import Logging
import Mesh
import MeshIO
import Recorder
import Synchronization

/// Records one connection in a task of its own, so a slow disk never stalls the network side.
final class RecordingTask: Sendable {
    enum Input: Sendable {
        case packet(RTPPacket, MediaTrack, Timestamp)
        /// An RTCP sender report: ties the SSRC's RTP clock to the sender's capture clock (lip sync).
        case senderReport(ssrc: UInt32, ntpTime: NTPTime, rtpTimestamp: UInt32)
        case tick(Timestamp)
        /// The media kinds the connection negotiated.
        case expect(Set<MediaTrack.Kind>)
        /// The connection's round trip: how long video waits for retransmissions.
        case roundTrip(RoundTrip)
    }

    private let inputs: RecordingQueue<Input>
    private let logger: Logger
    private let task: Task<Int, Never>
    private let ticker: Task<Void, Never>

    let path: String
    /// Whose connection this records.
    let participant: String
    var fileName: String { (path as NSString).lastPathComponent }

    /// - Parameter report: receives the recorder's per-track statistics every few seconds and at the end.
    /// - Parameter timeline: the session's clock, on which the file states where it starts.
    /// - Parameter stopped: told once if a write fails and the recording stops early, with why and how the
    ///   file was left; the connection and the rest of the meeting go on.
    init(key: ConnectionKey, peer: String, session: SessionFolder, timeline: MeetingTimeline, logger: Logger,
         requestKeyframe: @escaping @Sendable (UInt32, _ fullIntra: Bool) -> Void,
         report: @escaping @Sendable ([ParticipantRecorder.TrackStatistics], ParticipantRecorder.Placement?) async -> Void,
         stopped: @escaping @Sendable (String) async -> Void) {
        // Bounded: see `RecordingQueue` for the policy when the disk or the CPU falls behind.
        let inputs = RecordingQueue<Input>()
        let stream = inputs.stream
        self.inputs = inputs
        self.logger = logger
        let path = session.reserveFile(for: peer, suffix: key.kind == .screen ? " (screen)" : "", extension: "webm")
        self.path = path
        self.participant = peer
        task = Task {
            let file = RecordingFile(path: path)
            var recorder = ParticipantRecorder(writingApp: "EngageBot", timeline: timeline)
            var failed = false
            var stopReason: String?
            func apply(_ outputs: [ParticipantRecorder.Output]) {
                for output in outputs {
                    switch output {
                    case .write(let bytes):
                        guard !failed else { continue }
                        do {
                            try file.append(bytes)
                        } catch {
                            failed = true
                            let left = file.closeAfterFailure()
                            let reason = "writing failed (\(error.localizedDescription)); \(left)"
                            logger.error("recording of \(peer) stopped: \(reason): \(path); the meeting goes on")
                            stopReason = reason
                        }
                    case .finalize(let finalization):
                        guard !failed else { continue }
                        do {
                            try file.finalize(finalization)
                        } catch {
                            failed = true
                            logger.error("finalizing \(path) failed: \(error); `engage-bot repair` can finish it")
                        }
                    case .requestKeyframe(let ssrc):
                        requestKeyframe(ssrc, false)
                    case .requestFullIntra(let ssrc):
                        requestKeyframe(ssrc, true)
                    }
                }
            }
            // Says once, outside `apply` (which cannot wait), that a write failed and the recording stopped.
            func tellIfStopped() async {
                guard let reason = stopReason else { return }
                stopReason = nil
                await stopped(reason)
            }
            var lastTime = Timestamp.zero
            var lastReport = Timestamp.zero
            for await input in stream {
                switch input {
                case .packet(let packet, let track, let at):
                    lastTime = at
                    apply(recorder.push(packet, track: track, at: at))
                    await tellIfStopped()
                case .expect(let kinds):
                    recorder.expect(kinds)
                case .senderReport(let ssrc, let ntpTime, let rtpTimestamp):
                    recorder.senderReport(ssrc: ssrc, ntp: ntpTime, rtpTimestamp: rtpTimestamp)
                case .roundTrip(let roundTrip):
                    recorder.updateRoundTrip(roundTrip)
                case .tick(let at):
                    lastTime = at
                    apply(recorder.advance(to: at))
                    await tellIfStopped()
                    if at - lastReport >= RecordingTask.reportInterval {
                        lastReport = at
                        await report(recorder.trackStatistics, recorder.placement)
                    }
                }
            }
            apply(recorder.finish(at: lastTime))
            file.close()
            await tellIfStopped()
            await report(recorder.trackStatistics, recorder.placement)
            if failed {
                logger.info("recording of \(peer) ended early (see above): \(path) (\(recorder.summary))")
            } else if file.bytesWritten > 0 {
                logger.info("recording finalized: \(path) (\(recorder.summary))")
            } else {
                logger.info("no media arrived for \(path); no file written")
            }
            return file.bytesWritten
        }
        // The jitter buffer declares packets lost only when asked after its deadline.
        ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                _ = inputs.push(.tick(MonotonicClock.now()))
            }
        }
    }

    static let reportInterval: Duration = .seconds(5)

    func deliver(_ input: Input) {
        guard let refused = inputs.push(input) else { return }
        logger.warning("recording \(fileName) falls behind: \(refused) inputs refused so far (queue of \(RecordingQueue<Input>.capacity))")
    }

    /// Ends the recording once everything queued is written and the file finalized; returns its size.
    @discardableResult
    func finish() async -> Int {
        ticker.cancel()
        inputs.finish()
        return await task.value
    }
}
