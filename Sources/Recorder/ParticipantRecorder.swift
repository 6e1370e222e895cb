import Mesh

/// Everything one connection sends, turned into the bytes of one WebM file, sans-IO.
///
/// Packets go through a jitter buffer per SSRC, come out as whole frames, and are placed on one
/// timeline: each track is anchored at the arrival of its first frame, then advances by its RTP
/// clock. The file header needs the video size, which only a keyframe tells, so frames wait
/// (bounded) for the first keyframe; a stream with no video at all starts audio-only after
/// `videoGrace`. Frames from both tracks are interleaved in timestamp order with a short holdback,
/// so a late video frame is never written behind an audio frame of a newer cluster.
public struct ParticipantRecorder: Sendable {
    public enum Output: Equatable, Sendable {
        /// Append these bytes to the file.
        case write([UInt8])
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
    /// Frames are held this long so both tracks can be written in timestamp order; longer while a jitter
    /// buffer may hold a frame back longer waiting for a repair (see `holdbackMilliseconds`).
    public static let interleaveHoldbackMilliseconds: Int64 = 500
    /// Beyond the longest jitter wait: room for the other kind's path being that much faster.
    static let holdbackBeyondJitterWaitMilliseconds: Int64 = 200
    /// WebRTC video has a variable frame rate, so no true DefaultDuration exists. Without one, ffmpeg
    /// guesses a constant rate from the first frames (15000/1001, say) and, decoding with that tick,
    /// reports two jittered frames that round to the same tick as non-monotonic. Declaring 60 fps makes
    /// the tick finer than the spacing of any camera or screen share up to 30 fps even with jitter;
    /// a finer one would make tools that convert to a constant rate duplicate frames needlessly.
    public static let videoDefaultDurationNanoseconds: UInt64 = 1_000_000_000 / 60
    /// Capture bursts (a loaded screen capturer) can put two frames closer than that tick; such a frame
    /// is moved just past it, so each frame keeps its own tick. Later frames catch up on their own.
    static let minimumVideoSpacingMilliseconds = Int64((videoDefaultDurationNanoseconds + 999_999) / 1_000_000)
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
    }

    private struct TrackState: Sendable {
        var track: MediaTrack
        var jitter: JitterBuffer
        var anchorMilliseconds: Int64?
        var baseRTP: Int64 = 0
        var lastRTP: Int64 = 0
        var lastMilliseconds: Int64?
        var statistics: TrackStatistics
    }

    private struct PendingFrame: Sendable {
        var trackNumber: UInt64
        var milliseconds: Int64
        var keyframe: Bool
        var data: [UInt8]
        var ssrc: UInt32
    }

    private let writingApp: String
    private let dateUnixMilliseconds: Int64?
    private var tracks: [UInt32: TrackState] = [:]
    private var origin: Timestamp?
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
    /// The connection's round trip, which sets how long video waits for repairs; nil until measured.
    private var roundTrip: RoundTrip?
    public private(set) var framesDroppedWithoutTrack = 0
    public private(set) var bytesWritten = 0

    public init(writingApp: String, dateUnixMilliseconds: Int64? = nil) {
        self.writingApp = writingApp
        self.dateUnixMilliseconds = dateUnixMilliseconds
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
    var holdbackMilliseconds: Int64 {
        let longestWait = tracks.values.map { $0.jitter.gapWait.nanoseconds / 1_000_000 }.max() ?? 0
        return max(ParticipantRecorder.interleaveHoldbackMilliseconds,
                   longestWait + ParticipantRecorder.holdbackBeyondJitterWaitMilliseconds)
    }

    public var trackStatistics: [TrackStatistics] { tracks.values.map(\.statistics).sorted { $0.track.ssrc < $1.track.ssrc } }
    public var hasStartedFile: Bool { writer != nil }

    public mutating func push(_ packet: RTPPacket, track: MediaTrack, at now: Timestamp) -> [Output] {
        if origin == nil { origin = now }
        if track.kind == .video { sawVideoPacket = true } else { sawAudioPacket = true }
        if tracks[packet.ssrc] == nil {
            let depacketizer: any Depacketizer
            switch track.codec {
            case .opus: depacketizer = OpusDepacketizer()
            case .vp8: depacketizer = VP8Depacketizer()
            case .vp9: depacketizer = VP9Depacketizer()
            }
            var jitter = JitterBuffer(depacketizer: depacketizer, configuration: track.kind == .video ? .video : .audio)
            if let roundTrip { jitter.updateRoundTrip(roundTrip) }
            tracks[packet.ssrc] = TrackState(track: track, jitter: jitter,
                                             statistics: TrackStatistics(track: track, jitter: jitter.statistics))
        }
        tracks[packet.ssrc]?.jitter.push(packet, at: now)
        if tracks[packet.ssrc]?.statistics.firstPacketAt == nil {
            tracks[packet.ssrc]?.statistics.firstPacketAt = now
            tracks[packet.ssrc]?.statistics.firstRTPTimestamp = packet.timestamp
        }
        tracks[packet.ssrc]?.statistics.lastPacketAt = now
        tracks[packet.ssrc]?.statistics.lastRTPTimestamp = packet.timestamp
        return advance(to: now)
    }

    /// Releases what the jitter buffers and the holdback allow at `now`; call it regularly.
    public mutating func advance(to now: Timestamp) -> [Output] {
        var outputs: [Output] = []
        for ssrc in tracks.keys.sorted() {
            while let output = tracks[ssrc]?.jitter.poll(at: now) {
                switch output {
                case .frame(let frame): accept(frame, ssrc: ssrc)
                case .keyframeNeeded: outputs.append(.requestKeyframe(ssrc))
                case .fullIntraNeeded: outputs.append(.requestFullIntra(ssrc))
                case .lost: break
                }
            }
            if let statistics = tracks[ssrc]?.jitter.statistics { tracks[ssrc]?.statistics.jitter = statistics }
        }
        startFileIfReady(at: now, into: &outputs)
        let (holdbackLimit, overflow) = newestMilliseconds.subtractingReportingOverflow(holdbackMilliseconds)
        flush(upTo: overflow ? .min : holdbackLimit, into: &outputs)
        return outputs
    }

    /// Writes everything still held; the file then ends on a complete cluster.
    public mutating func finish(at now: Timestamp) -> [Output] {
        var outputs = advance(to: now)
        if writer == nil && !pending.isEmpty { startFile(into: &outputs) }
        flush(upTo: .max, into: &outputs)
        return outputs.filter { if case .write = $0 { return true } else { return false } }
    }

    public var summary: String {
        trackStatistics.map { statistics in
            let duration = (statistics.lastFrameMilliseconds ?? 0) - (statistics.firstFrameMilliseconds ?? 0)
            return "\(statistics.track.kind.rawValue) \(statistics.track.codec.rawValue): \(statistics.framesWritten) frames, "
                + "\(Double(duration) / 1000) s, \(statistics.jitter.packetsReceived) packets, \(statistics.jitter.lost) lost"
        }.joined(separator: "; ")
    }

    private mutating func accept(_ frame: MediaFrame, ssrc: UInt32) {
        guard var state = tracks[ssrc], let origin else { return }
        let rtp = Int64(frame.rtpTimestamp)
        if state.anchorMilliseconds == nil {
            state.anchorMilliseconds = (frame.receivedAt - origin).nanoseconds / 1_000_000
            state.baseRTP = rtp
            state.lastRTP = rtp
        }
        // Unwrap the 32-bit RTP clock against the previous frame of this track.
        let step = Int64(Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: rtp) &- UInt32(truncatingIfNeeded: state.lastRTP)))
        state.lastRTP += step
        let elapsed = (state.lastRTP - state.baseRTP) * 1000 / Int64(max(state.track.clockRate, 1))
        var milliseconds = (state.anchorMilliseconds ?? 0) + elapsed
        let isVideo = state.track.kind == .video
        if isVideo, let last = state.lastMilliseconds {
            milliseconds = max(milliseconds, last + ParticipantRecorder.minimumVideoSpacingMilliseconds)
        }
        state.lastMilliseconds = milliseconds
        if isVideo, frame.isKeyframe, videoSize == nil, let width = frame.width, let height = frame.height {
            videoSize = (width, height)
            videoCodec = state.track.codec == .vp9 ? .vp9 : .vp8
        }
        if isVideo && videoCodec == nil { videoCodec = state.track.codec == .vp9 ? .vp9 : .vp8 }
        tracks[ssrc] = state
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
            // Without a keyframe yet, the size is a placeholder; decoders read the real one from the stream.
            let size = videoSize ?? (640, 480)
            var video = WebMTrackDescription.video(number: ParticipantRecorder.videoTrackNumber,
                                                   codec: videoCodec ?? .vp8, width: size.width, height: size.height)
            video.defaultDurationNanoseconds = ParticipantRecorder.videoDefaultDurationNanoseconds
            descriptions.append(video)
            hasVideoTrack = true
        }
        if sawAudioPacket || expectedKinds?.contains(.audio) == true {
            descriptions.append(.opus(number: ParticipantRecorder.audioTrackNumber))
            hasAudioTrack = true
        }
        guard var newWriter = try? WebMWriter(tracks: descriptions, writingApp: writingApp,
                                              dateUnixMilliseconds: dateUnixMilliseconds) else { return }
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
        tracks[frame.ssrc]?.statistics.framesWritten += 1
        if tracks[frame.ssrc]?.statistics.firstFrameMilliseconds == nil {
            tracks[frame.ssrc]?.statistics.firstFrameMilliseconds = frame.milliseconds
        }
        tracks[frame.ssrc]?.statistics.lastFrameMilliseconds = frame.milliseconds
    }

    private mutating func emit(_ bytes: [UInt8], into outputs: inout [Output]) {
        guard !bytes.isEmpty else { return }
        bytesWritten += bytes.count
        outputs.append(.write(bytes))
    }
}
