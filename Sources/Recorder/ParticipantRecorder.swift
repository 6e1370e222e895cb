import Mesh

/// Everything one connection sends, turned into the bytes of one WebM file, sans-IO.
///
/// Packets go through a jitter buffer per SSRC and come out as whole frames. `LipSync` places each
/// frame on the receiver's clock as it was captured (from the sender's RTCP sender reports, by arrival
/// until they come), so audio and video of one sender line up; the file's zero is a point on the
/// session's `MeetingTimeline`, which the manifest and DateUTC state (docs/timeline.md). Frames are
/// held at the start until every stream has a sender report (bounded by `senderReportWait`), so the
/// first seconds are in sync too. The file header needs the video size, which only a keyframe tells,
/// so frames wait (bounded) for the first keyframe; a stream with no video at all starts audio-only
/// after `videoGrace`. Frames from both tracks are interleaved in timestamp order with a short
/// holdback, so a late video frame is never written behind an audio frame of a newer cluster.
public struct ParticipantRecorder: Sendable {
    public enum Output: Equatable, Sendable {
        /// Append these bytes to the file.
        case write([UInt8])
        /// The recording ended cleanly: append the Cues, write the patches over the file, sync.
        case finalize(WebMFinalization)
        /// Ask the sender of this SSRC for a keyframe (PLI).
        case requestKeyframe(UInt32)
        /// Demand a keyframe of this SSRC (FIR): asking by PLI went unanswered.
        case requestFullIntra(UInt32)
    }

    /// How long a stream without any video packet waits before it is recorded as audio-only.
    public static let videoGrace: Duration = .seconds(4)
    /// Without `expect`, how long the first packets wait in case the other kind follows.
    public static let undeclaredKindsWait: Duration = .seconds(1)
    /// How long frames may wait for the first keyframe before the file starts with a guessed size.
    public static let keyframeWaitLimit: Duration = .seconds(20)
    /// How long the first frames wait for every stream's first sender report. Chromium sends its first
    /// audio report about 2.5 s after it starts sending (video ~0.5 s), aiortc within 1.5 s; the rest
    /// is margin for a loaded sender.
    public static let senderReportWait: Duration = .seconds(4)
    /// How far before the first packet's arrival a file's zero may lie.
    static let earliestZeroBeforeArrival: Duration = .seconds(1)
    /// Frames held for placement at most, whatever the wait: 4 s of 60 fps video plus 20 ms audio.
    static let unplacedLimit = 600
    /// Opus encoders delay their output by their lookahead: 312 samples at 48 kHz (6.5 ms) in libopus,
    /// which every browser uses. Declared as pre-skip and CodecDelay so decoders trim it and sound lines
    /// up with pictures.
    public static let opusPreSkip: UInt16 = 312
    /// Frames are held this long so both tracks can be written in timestamp order; longer while a jitter
    /// buffer may hold a frame back longer waiting for a repair (see `holdbackMilliseconds`).
    public static let interleaveHoldbackMilliseconds: Int64 = 500
    /// Beyond the longest jitter wait: room for the other kind's path being that much faster.
    static let holdbackBeyondJitterWaitMilliseconds: Int64 = 200
    static let videoTrackNumber: UInt64 = 1
    static let audioTrackNumber: UInt64 = 2

    public struct TrackStatistics: Sendable, Equatable {
        public var track: MediaTrack
        public var jitter: JitterStatistics
        public var framesWritten = 0
        public var firstFrameMilliseconds: Int64?
        public var lastFrameMilliseconds: Int64?
        public var firstPacketAt: Timestamp?
        public var lastPacketAt: Timestamp?
        public var firstRTPTimestamp: UInt32?
        public var lastRTPTimestamp: UInt32?
        /// Complete frames whose codec header a decoder would refuse (`Depacketizer.isWellFormed`), and the
        /// video frames after one that waited for the next keyframe: none of them reaches the file.
        public var malformedFramesDropped = 0
        public var framesDroppedAwaitingKeyframe = 0
        /// Audio placed over audio already written (the sender's clock stepped back) and moved to follow it.
        public var audioFramesMovedPastOverlap = 0
        /// Audio that could only follow what was written by ending up further ahead of its arrival than any
        /// honest sender gets (more audio than time passed): dropped, since writing it would stretch the file.
        public var audioFramesDroppedAheadOfTime = 0
    }

    private struct TrackState: Sendable {
        var track: MediaTrack
        var jitter: JitterBuffer
        let depacketizer: any Depacketizer
        var lastMilliseconds: Int64?
        var statistics: TrackStatistics
        /// Video after a malformed frame: later delta frames would decode against it.
        var awaitsKeyframe = false

        mutating func receive(_ packet: RTPPacket, at now: Timestamp) {
            jitter.push(packet, at: now)
            if statistics.firstPacketAt == nil {
                statistics.firstPacketAt = now
                statistics.firstRTPTimestamp = packet.timestamp
            }
            statistics.lastPacketAt = now
            statistics.lastRTPTimestamp = packet.timestamp
        }

        /// Whether `frame` may be written; counts why not, and asks once for a keyframe after a malformed video frame.
        mutating func admit(_ frame: MediaFrame, ssrc: UInt32, into outputs: inout [Output]) -> Bool {
            let isVideo = track.kind == .video
            if !depacketizer.isWellFormed(frame.data) {
                statistics.malformedFramesDropped &+= 1
                if isVideo && !awaitsKeyframe {
                    awaitsKeyframe = true
                    outputs.append(.requestKeyframe(ssrc))
                }
                return false
            }
            if awaitsKeyframe {
                guard frame.isKeyframe else {
                    statistics.framesDroppedAwaitingKeyframe &+= 1
                    return false
                }
                awaitsKeyframe = false
            }
            return true
        }

        mutating func noteWritten(at milliseconds: Int64) {
            statistics.framesWritten += 1
            if statistics.firstFrameMilliseconds == nil { statistics.firstFrameMilliseconds = milliseconds }
            statistics.lastFrameMilliseconds = milliseconds
        }
    }

    /// Runs `body` on the state of `ssrc` in place. Reading `tracks[ssrc]` copies the whole state (its
    /// jitter buffer's arrays and all), and writing it back releases the copy: the profile found several such
    /// round trips per packet. Nil when the SSRC has no state.
    private mutating func withTrack<Result>(_ ssrc: UInt32, _ body: (inout TrackState) -> Result) -> Result? {
        guard let index = tracks.index(forKey: ssrc) else { return nil }
        return withTrack(at: index, body)
    }

    /// `withTrack` for a state already found: even reading a part of it (`tracks.values[index].track`) would
    /// copy the whole state first.
    private mutating func withTrack<Result>(at index: [UInt32: TrackState].Index, _ body: (inout TrackState) -> Result) -> Result {
        body(&tracks.values[index])
    }

    private struct UnplacedFrame: Sendable {
        var frame: MediaFrame
        var ssrc: UInt32
    }

    private struct PendingFrame: Sendable {
        var trackNumber: UInt64
        var milliseconds: Int64
        var keyframe: Bool
        var data: [UInt8]
        var ssrc: UInt32
    }

    private let writingApp: String
    private let timeline: MeetingTimeline?
    private var tracks: [UInt32: TrackState] = [:]
    private var origin: Timestamp?
    private var lipSync = LipSync()
    /// Frames waiting for the sender reports that place them; empty once placing has begun.
    private var unplaced: [UnplacedFrame] = []
    /// The file's zero on the receiver's clock; set when placing begins.
    public private(set) var fileOrigin: Timestamp?
    private var writer: WebMWriter?
    private var hasVideoTrack = false
    private var hasAudioTrack = false
    private var videoSize: (width: Int, height: Int)?
    private var videoCodec: WebMCodec?
    private var sawVideoPacket = false
    private var sawAudioPacket = false
    /// The kinds the negotiation lets the peer send; both get a track even before their first packet.
    private var expectedKinds: Set<MediaTrack.Kind>?
    /// Frames in timestamp order, before the header and in the interleaving holdback.
    private var pending: [PendingFrame] = []
    private var newestMilliseconds: Int64 = .min
    /// Where the audio written so far ends (ms): a frame placed before it would be decoded on top of audio
    /// already there, and a decoder then plays more sound than the file's time allows.
    private var audioEndMilliseconds: Int64?
    /// Where the sound a decoder makes of the audio written so far ends (ms): every frame plays in full,
    /// one after the other, so this runs ahead of `audioEndMilliseconds` by the overlaps left alone.
    private var audioSoundEndMilliseconds: Int64?
    /// Overlaps up to this are rounding to milliseconds and the 2 % slew of placements, not a step back: left
    /// alone (an honest sender's frames overlap by 1 ms now and then). Anything longer is moved: ffmpeg turned
    /// one 9 ms overlap (a 10 ms frame, then a 60 ms one) into two audio packets with the same DTS.
    static let audioOverlapToleranceMilliseconds: Int64 = 2
    /// Audio moved past an overlap may run at most this far ahead of its arrival (LipSync's own lead is
    /// 1 s); beyond it the sender is sending more audio than time passes.
    static let audioLeadLimitMilliseconds: Int64 = 1_500
    /// The connection's round trip, which sets how long video waits for repairs; nil until measured.
    private var roundTrip: RoundTrip?
    public private(set) var framesDroppedWithoutTrack = 0
    public private(set) var bytesWritten = 0

    /// - Parameter timeline: the session's clock; files then carry DateUTC and state their offset on it.
    public init(writingApp: String, timeline: MeetingTimeline? = nil) {
        self.writingApp = writingApp
        self.timeline = timeline
    }

    /// Where a file's zero lies on the session's timeline.
    public struct Placement: Sendable, Equatable {
        /// Milliseconds from the session's start (the manifest's `startedAt`) to the file's zero.
        public var timelineOffsetMilliseconds: Int64
        /// Wall-clock time of the file's zero (its DateUTC), in milliseconds since the Unix epoch.
        public var startUnixMilliseconds: Int64
    }

    /// Nil until the file's zero is known (placing has begun), or without a session timeline.
    public var placement: Placement? {
        guard let timeline, let fileOrigin else { return nil }
        return Placement(timelineOffsetMilliseconds: timeline.milliseconds(at: fileOrigin),
                         startUnixMilliseconds: timeline.unixMilliseconds(at: fileOrigin))
    }

    public var lipSyncStatistics: LipSync.Statistics { lipSync.statistics }

    /// An RTCP sender report from the connection: ties that SSRC's RTP clock to the sender's capture clock.
    public mutating func senderReport(ssrc: UInt32, ntp: NTPTime, rtpTimestamp: UInt32) {
        lipSync.senderReport(ssrc: ssrc, ntp: ntp, rtpTimestamp: rtpTimestamp)
    }

    /// What the connection negotiated; the file then declares these tracks from the start.
    public mutating func expect(_ kinds: Set<MediaTrack.Kind>) {
        if writer == nil { expectedKinds = kinds }
    }

    /// The connection measured its round trip (`PeerEvent.roundTripMeasured`): gaps are waited for accordingly.
    public mutating func updateRoundTrip(_ roundTrip: RoundTrip) {
        self.roundTrip = roundTrip
        for ssrc in tracks.keys { tracks[ssrc]?.jitter.updateRoundTrip(roundTrip) }
    }

    /// How long frames are held for interleaving: the fixed minimum, or the longest jitter wait and a margin.
    /// Mutating only to read each track's state in place (see `withTrack`).
    mutating func holdbackMilliseconds() -> Int64 {
        var longestWait: Int64 = 0
        var index = tracks.values.startIndex
        while index != tracks.values.endIndex {
            longestWait = max(longestWait, withTrack(at: index) { $0.jitter.gapWait.nanoseconds / 1_000_000 })
            index = tracks.values.index(after: index)
        }
        return max(ParticipantRecorder.interleaveHoldbackMilliseconds,
                   longestWait + ParticipantRecorder.holdbackBeyondJitterWaitMilliseconds)
    }

    public var trackStatistics: [TrackStatistics] { tracks.values.map(\.statistics).sorted { $0.track.ssrc < $1.track.ssrc } }
    public var hasStartedFile: Bool { writer != nil }

    public mutating func push(_ packet: RTPPacket, track: MediaTrack, at now: Timestamp) -> [Output] {
        receive(packet, track: track, at: now)
        return advance(to: now)
    }

    /// Takes a packet into its jitter buffer without releasing anything: a caller with many packets at
    /// once (the recording task takes its queue in batches) receives them all, then advances once.
    public mutating func receive(_ packet: RTPPacket, track: MediaTrack, at now: Timestamp) {
        if origin == nil { origin = now }
        if track.kind == .video { sawVideoPacket = true } else { sawAudioPacket = true }
        if tracks.index(forKey: packet.ssrc) == nil {
            let depacketizer: any Depacketizer
            switch track.codec {
            case .opus: depacketizer = OpusDepacketizer()
            case .vp8: depacketizer = VP8Depacketizer()
            case .vp9: depacketizer = VP9Depacketizer()
            }
            var jitter = JitterBuffer(depacketizer: depacketizer, configuration: track.kind == .video ? .video : .audio)
            if let roundTrip { jitter.updateRoundTrip(roundTrip) }
            tracks[packet.ssrc] = TrackState(track: track, jitter: jitter, depacketizer: depacketizer,
                                             statistics: TrackStatistics(track: track, jitter: jitter.statistics))
            lipSync.addTrack(ssrc: packet.ssrc, clockRate: track.clockRate)
        }
        withTrack(packet.ssrc) { $0.receive(packet, at: now) }
    }

    /// Releases what the jitter buffers and the holdback allow at `now`; call it regularly.
    public mutating func advance(to now: Timestamp) -> [Output] {
        var outputs: [Output] = []
        for ssrc in tracks.keys.sorted() {
            while let output = withTrack(ssrc, { $0.jitter.poll(at: now) }) ?? nil {
                switch output {
                case .frame(let frame):
                    if admitWellFormed(frame, ssrc: ssrc, into: &outputs) { accept(frame, ssrc: ssrc) }
                case .keyframeNeeded: outputs.append(.requestKeyframe(ssrc))
                case .fullIntraNeeded: outputs.append(.requestFullIntra(ssrc))
                case .lost: break
                }
            }
            withTrack(ssrc) { $0.statistics.jitter = $0.jitter.statistics }
        }
        startPlacingIfReady(at: now)
        startFileIfReady(at: now, into: &outputs)
        let (holdbackLimit, overflow) = newestMilliseconds.subtractingReportingOverflow(holdbackMilliseconds())
        flush(upTo: overflow ? .min : holdbackLimit, into: &outputs)
        return outputs
    }

    /// Writes everything still held, then finalizes the file (Duration, Cues, SeekHead, sizes).
    public mutating func finish(at now: Timestamp) -> [Output] {
        var outputs = advance(to: now)
        if fileOrigin == nil && !unplaced.isEmpty { startPlacing() }
        if writer == nil && !pending.isEmpty { startFile(into: &outputs) }
        flush(upTo: .max, into: &outputs)
        outputs = outputs.filter { if case .write = $0 { return true } else { return false } }
        if let finalization = writer?.finalize() { outputs.append(.finalize(finalization)) }
        return outputs
    }

    public var summary: String {
        trackStatistics.map { statistics in
            let duration = (statistics.lastFrameMilliseconds ?? 0) - (statistics.firstFrameMilliseconds ?? 0)
            var line = "\(statistics.track.kind.rawValue) \(statistics.track.codec.rawValue): \(statistics.framesWritten) frames, "
            line += "\(Double(duration) / 1000) s, \(statistics.jitter.packetsReceived) packets, \(statistics.jitter.lost) lost"
            if statistics.jitter.malformed > 0 { line += ", \(statistics.jitter.malformed) malformed packets skipped" }
            if statistics.jitter.oversizedFrames > 0 { line += ", \(statistics.jitter.oversizedFrames) oversized frames dropped" }
            if statistics.malformedFramesDropped > 0 {
                line += ", \(statistics.malformedFramesDropped) malformed frames dropped"
                    + " (and \(statistics.framesDroppedAwaitingKeyframe) after them)"
            }
            if statistics.audioFramesMovedPastOverlap > 0 {
                line += ", \(statistics.audioFramesMovedPastOverlap) frames moved off audio already written (the sender's clock stepped back)"
            }
            if statistics.audioFramesDroppedAheadOfTime > 0 {
                line += ", \(statistics.audioFramesDroppedAheadOfTime) frames dropped as more audio than time passed"
            }
            return line
        }.joined(separator: "; ")
    }

    /// A peer's packets are authenticated, not honest: a frame whose own header is impossible is dropped (and
    /// for video, so is everything up to the next keyframe, which is asked for once).
    private mutating func admitWellFormed(_ frame: MediaFrame, ssrc: UInt32, into outputs: inout [Output]) -> Bool {
        withTrack(ssrc) { $0.admit(frame, ssrc: ssrc, into: &outputs) } ?? false
    }

    private mutating func accept(_ frame: MediaFrame, ssrc: UInt32) {
        guard tracks.index(forKey: ssrc) != nil, origin != nil else { return }
        guard let fileOrigin else {
            lipSync.observe(ssrc: ssrc, rtpTimestamp: frame.rtpTimestamp, receivedAt: frame.receivedAt)
            unplaced.append(UnplacedFrame(frame: frame, ssrc: ssrc))
            if unplaced.count >= ParticipantRecorder.unplacedLimit { startPlacing() }
            return
        }
        let position = lipSync.place(ssrc: ssrc, rtpTimestamp: frame.rtpTimestamp, receivedAt: frame.receivedAt)
        hold(frame, ssrc: ssrc, milliseconds: (position - fileOrigin).nanoseconds / 1_000_000)
    }

    /// Placing begins once every stream that sends (and every kind the negotiation announced) has a
    /// sender report, or when waiting longer would hold the start of the recording back too far.
    private mutating func startPlacingIfReady(at now: Timestamp) {
        guard fileOrigin == nil, !unplaced.isEmpty, let origin else { return }
        let reported = tracks.filter { lipSync.hasSenderReport(ssrc: $0.key) }
        let everyStreamReported = reported.count == tracks.count
        let reportedKinds = Set(reported.values.map { $0.track.kind })
        let everyKindReported = expectedKinds.map { $0.isSubset(of: reportedKinds) } ?? true
        if (everyStreamReported && everyKindReported) || now - origin >= ParticipantRecorder.senderReportWait {
            startPlacing()
        }
    }

    /// Places the frames held so far; the file's zero is the earliest of them (or the first arrival).
    private mutating func startPlacing() {
        guard fileOrigin == nil, let origin else { return }
        let held = unplaced
        unplaced = []
        var positions: [Timestamp] = []
        positions.reserveCapacity(held.count)
        for entry in held {
            positions.append(lipSync.place(ssrc: entry.ssrc, rtpTimestamp: entry.frame.rtpTimestamp,
                                           receivedAt: entry.frame.receivedAt))
        }
        // A sender report may claim frames were captured long before they arrived; honest ones say a few
        // hundred milliseconds at most (one stream's path slower than another's, a repair waited for). A
        // zero further back would only add silence at the start and stretch the file past the participant's
        // stay; frames placed before it start at zero (the writer keeps each track increasing).
        let zero = min(origin, max(positions.min() ?? origin, Timestamp(
            nanoseconds: origin.nanoseconds &- ParticipantRecorder.earliestZeroBeforeArrival.nanoseconds)))
        fileOrigin = zero
        for (entry, position) in zip(held, positions) {
            hold(entry.frame, ssrc: entry.ssrc, milliseconds: (position - zero).nanoseconds / 1_000_000)
        }
    }

    private mutating func hold(_ frame: MediaFrame, ssrc: UInt32, milliseconds placed: Int64) {
        guard let trackIndex = tracks.index(forKey: ssrc) else { return }
        let track = withTrack(at: trackIndex) { $0.track }
        var milliseconds = placed
        if track.codec == .opus, let microseconds = OpusPacketStructure.durationMicroseconds(frame.data) {
            // A step back in a sender's clock (hostile, or a broken encoder) would lay audio over audio:
            // the track continues where it was instead, as long as it does not run away from real time.
            let duration = Int64(microseconds / 1_000)
            var moved = false
            if let end = audioEndMilliseconds, milliseconds < end &- Self.audioOverlapToleranceMilliseconds {
                milliseconds = end
                moved = true
            }
            // Small overlaps are left alone, but they add up when a sender sends more audio than time passes;
            // a decoder plays all of it, so the sound it makes is bounded here, by arrival.
            let soundEnd = max(audioSoundEndMilliseconds ?? .min, milliseconds) &+ duration
            let arrival = fileOrigin.map { (frame.receivedAt - $0).nanoseconds / 1_000_000 } ?? soundEnd
            guard soundEnd <= arrival &+ Self.audioLeadLimitMilliseconds else {
                tracks.values[trackIndex].statistics.audioFramesDroppedAheadOfTime &+= 1
                return
            }
            if moved { tracks.values[trackIndex].statistics.audioFramesMovedPastOverlap &+= 1 }
            audioSoundEndMilliseconds = soundEnd
            audioEndMilliseconds = max(audioEndMilliseconds ?? .min, milliseconds &+ duration)
        }
        // Two blocks of one track never share a timestamp: demuxers would see equal DTS.
        if let last = withTrack(at: trackIndex, { $0.lastMilliseconds }), milliseconds <= last { milliseconds = last &+ 1 }
        tracks.values[trackIndex].lastMilliseconds = milliseconds
        let isVideo = track.kind == .video
        if isVideo, frame.isKeyframe, videoSize == nil, let width = frame.width, let height = frame.height {
            videoSize = (width, height)
            videoCodec = track.codec == .vp9 ? .vp9 : .vp8
        }
        if isVideo && videoCodec == nil { videoCodec = track.codec == .vp9 ? .vp9 : .vp8 }
        // Kept in timestamp order as frames come (nearly in order already), so flushing never sorts.
        var index = pending.endIndex
        while index > pending.startIndex, pending[index - 1].milliseconds > milliseconds { index -= 1 }
        pending.insert(PendingFrame(
            trackNumber: isVideo ? ParticipantRecorder.videoTrackNumber : ParticipantRecorder.audioTrackNumber,
            milliseconds: milliseconds, keyframe: frame.isKeyframe || !isVideo, data: frame.data, ssrc: ssrc), at: index)
        newestMilliseconds = max(newestMilliseconds, milliseconds)
    }

    /// The header can be written once every expected kind has shown up (video with a keyframe, for its
    /// size), or after a grace period for kinds that never come; video that is on its way but has no
    /// keyframe yet is waited for longer, since its size belongs in the header.
    private mutating func startFileIfReady(at now: Timestamp, into outputs: inout [Output]) {
        guard writer == nil, let origin, !pending.isEmpty else { return }
        let waited = now - origin
        let wantsVideo = expectedKinds?.contains(.video) ?? sawVideoPacket
        let wantsAudio = expectedKinds?.contains(.audio) ?? sawAudioPacket
        let everythingArrived = (!wantsVideo || videoSize != nil) && (!wantsAudio || sawAudioPacket)
        // Without a negotiation to go by, another kind may still be a packet away.
        let settled = expectedKinds != nil || waited >= ParticipantRecorder.undeclaredKindsWait
        let ready = (everythingArrived && settled)
            || (waited >= ParticipantRecorder.videoGrace && !(sawVideoPacket && videoSize == nil))
            || waited >= ParticipantRecorder.keyframeWaitLimit
        if ready { startFile(into: &outputs) }
    }

    private mutating func startFile(into outputs: inout [Output]) {
        var descriptions: [WebMTrackDescription] = []
        let hasVideoFrames = pending.contains { $0.trackNumber == ParticipantRecorder.videoTrackNumber }
        if sawVideoPacket || hasVideoFrames || expectedKinds?.contains(.video) == true {
            // The first keyframe's size: what the stream starts with. A later change (a camera ramping up)
            // is carried by the keyframes themselves, which ffmpeg and Chromium follow; a finalized file keeps
            // this size rather than naming one its first frames do not have. Without a keyframe yet, the
            // size is a placeholder; decoders read the real one from the stream.
            let size = videoSize ?? (640, 480)
            let video = WebMTrackDescription.video(number: ParticipantRecorder.videoTrackNumber,
                                                   codec: videoCodec ?? .vp8, width: size.width, height: size.height)
            descriptions.append(video)
            hasVideoTrack = true
        }
        if sawAudioPacket || expectedKinds?.contains(.audio) == true {
            descriptions.append(.opus(number: ParticipantRecorder.audioTrackNumber, preSkip: ParticipantRecorder.opusPreSkip))
            hasAudioTrack = true
        }
        guard var newWriter = try? WebMWriter(tracks: descriptions, writingApp: writingApp,
                                              dateUnixMilliseconds: placement?.startUnixMilliseconds) else { return }
        emit(newWriter.header(), into: &outputs)
        writer = newWriter
        // A video track starts on its first keyframe: earlier delta frames cannot be decoded.
        if let firstKeyframe = pending.firstIndex(where: {
            $0.trackNumber == ParticipantRecorder.videoTrackNumber && $0.keyframe
        }) {
            let earlyVideo = pending[..<firstKeyframe].filter { $0.trackNumber == ParticipantRecorder.videoTrackNumber }
            framesDroppedWithoutTrack += earlyVideo.count
            pending = pending.enumerated().filter { index, frame in
                index >= firstKeyframe || frame.trackNumber != ParticipantRecorder.videoTrackNumber
            }.map(\.element)
        }
    }

    private mutating func flush(upTo limit: Int64, into outputs: inout [Output]) {
        guard writer != nil, !pending.isEmpty else { return }
        var released = 0
        for frame in pending {
            guard frame.milliseconds <= limit else { break }
            released += 1
            write(frame, into: &outputs)
        }
        pending.removeFirst(released)
    }

    private mutating func write(_ frame: PendingFrame, into outputs: inout [Output]) {
        let isVideo = frame.trackNumber == ParticipantRecorder.videoTrackNumber
        guard (isVideo && hasVideoTrack) || (!isVideo && hasAudioTrack), writer != nil else {
            framesDroppedWithoutTrack += 1
            return
        }
        guard let bytes = try? writer?.append(frame: frame.data, track: frame.trackNumber,
                                              timestampMilliseconds: frame.milliseconds, keyframe: frame.keyframe)
        else {
            framesDroppedWithoutTrack += 1
            return
        }
        emit(bytes, into: &outputs)
        withTrack(frame.ssrc) { $0.noteWritten(at: frame.milliseconds) }
    }

    private mutating func emit(_ bytes: [UInt8], into outputs: inout [Output]) {
        guard !bytes.isEmpty else { return }
        bytesWritten += bytes.count
        outputs.append(.write(bytes))
    }
}
