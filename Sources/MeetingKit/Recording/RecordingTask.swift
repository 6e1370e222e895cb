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
        /// The media kinds the connection negotiated.
        case expect(Set<MediaTrack.Kind>)
        /// The connection's round trip: how long video waits for retransmissions.
        case roundTrip(RoundTrip)

        /// The input, leaving in its place one that holds no memory: walking a batch by copying each
        /// packet out retained its buffers once more per packet, and released them twice.
        mutating func take() -> Input {
            var taken = Input.expect([])
            swap(&taken, &self)
            return taken
        }
    }

    private let inputs: RecordingQueue<Input>
    /// Rings at the process's next recording tick (`RecordingTicker`), or at once when the recording ends.
    private let alarm: RecordingTicker.Alarm
    private let logger: Logger
    private let task: Task<Int, Never>

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
        self.inputs = inputs
        self.logger = logger
        let path = session.reserveFile(for: peer, suffix: key.kind == .screen ? " (screen)" : "", extension: "webm")
        self.path = path
        self.participant = peer
        let alarm = RecordingTicker.Alarm()
        self.alarm = alarm
        task = Task {
            let file = RecordingFile(path: path)
            var recorder = ParticipantRecorder(writingApp: "EngageBot", timeline: timeline)
            var failed = false
            var stopReason: String?
            // What a batch of inputs made goes to disk in one writev(2), not one write per frame, and
            // without being copied together first.
            var unwritten: [[UInt8]] = []
            var pendingFinalization: WebMFinalization?
            func writeOut() {
                defer { unwritten.removeAll(keepingCapacity: true) }
                guard !failed, !unwritten.isEmpty else { return }
                do {
                    try file.append(contentsOf: unwritten)
                } catch {
                    failed = true
                    let left = file.closeAfterFailure()
                    let reason = "writing failed (\(error.localizedDescription)); \(left)"
                    logger.error("recording of \(peer) stopped: \(reason): \(path); the meeting goes on")
                    stopReason = reason
                }
            }
            func apply(_ outputs: [ParticipantRecorder.Output]) {
                for output in outputs {
                    switch output {
                    case .write(let bytes):
                        guard !failed else { continue }
                        unwritten.append(bytes)
                    case .finalize(let finalization):
                        // Only `finish` asks for it, last: applied after the loop, off the concurrency pool.
                        pendingFinalization = finalization
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
            var lastTick = Timestamp.zero
            var lastReport = Timestamp.zero
            var batch: [Input] = []
            while true {
                let finished = inputs.take(into: &batch)
                var received = false
                for index in batch.indices {
                    // Moved out of the batch, not copied: see `Input.take()`.
                    switch batch[index].take() {
                    case .packet(let packet, let track, let at):
                        lastTime = at
                        recorder.receive(packet, track: track, at: at)
                        received = true
                    case .expect(let kinds):
                        recorder.expect(kinds)
                    case .senderReport(let ssrc, let ntpTime, let rtpTimestamp):
                        recorder.senderReport(ssrc: ssrc, ntp: ntpTime, rtpTimestamp: rtpTimestamp)
                    case .roundTrip(let roundTrip):
                        recorder.updateRoundTrip(roundTrip)
                    }
                }
                batch.removeAll(keepingCapacity: true)
                // Everything the batch brought is in the jitter buffers: release what is complete, once.
                if received { apply(recorder.advance(to: lastTime)) }
                writeOut()
                await tellIfStopped()
                if finished { break }
                // The jitter buffer declares packets lost only when asked after its deadline. It is told the
                // newest arrival it has seen, never a time a packet still on its way to the queue arrived
                // before; while nothing comes, the clock, less a margin for a packet between its arrival
                // stamp and the queue.
                let now = MonotonicClock.now()
                if now - lastTick >= RecordingTask.tickInterval {
                    lastTick = now
                    lastTime = max(lastTime, Timestamp(nanoseconds: now.nanoseconds &- RecordingTask.arrivalMargin.nanoseconds))
                    apply(recorder.advance(to: lastTime))
                    writeOut()
                    await tellIfStopped()
                    if now - lastReport >= RecordingTask.reportInterval {
                        lastReport = now
                        await report(recorder.trackStatistics, recorder.placement)
                    }
                }
                await alarm.wait(on: RecordingTicker.shared)
            }
            apply(recorder.finish(at: lastTime))
            writeOut()
            if let finalization = pendingFinalization, !failed {
                do {
                    try await file.finalizeAside(finalization)
                } catch {
                    failed = true
                    logger.error("finalizing \(path) failed: \(error); `engage-bot repair` can finish it")
                }
            }
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
    }

    static let reportInterval: Duration = .seconds(5)
    /// How often the recordings take what their connections queued: one wake-up per batch, not per packet,
    /// and one timer for all of them (`RecordingTicker`).
    static let batchInterval: Duration = .milliseconds(100)
    /// How often the recorder is told the time, so that its jitter buffers give up on late packets.
    static let tickInterval: Duration = .milliseconds(100)
    /// Longer than a packet takes from its arrival stamp into the queue, even on a loaded event loop.
    static let arrivalMargin: Duration = .milliseconds(50)

    func deliver(_ input: consuming Input) {
        guard let refused = inputs.push(input) else { return }
        logger.warning("recording \(fileName) falls behind: \(refused) inputs refused so far (queue of \(RecordingQueue<Input>.capacity))")
    }

    /// Ends the recording once everything queued is written and the file finalized; returns its size.
    @discardableResult
    func finish() async -> Int {
        inputs.finish()
        // Wakes the task if it waits between batches (up to 100 ms of a leave otherwise): it sees the
        // queue finished, writes what is left and finalizes.
        alarm.ring()
        return await task.value
    }
}
