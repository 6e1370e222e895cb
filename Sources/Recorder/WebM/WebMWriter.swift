import Mesh

public enum WebMCodec: Sendable, Equatable {
    case vp8, vp9, opus

    public var codecID: String {
        switch self {
        case .vp8: "V_VP8"
        case .vp9: "V_VP9"
        case .opus: "A_OPUS"
        }
    }

    public var isVideo: Bool { self != .opus }
}

public struct WebMTrackDescription: Sendable, Equatable {
    public var number: UInt64
    public var codec: WebMCodec
    /// Video only.
    public var width: Int
    public var height: Int
    /// Audio only.
    public var sampleRate: Double
    public var channels: Int
    public var codecPrivate: [UInt8]?
    /// Matroska's CodecDelay: for Opus the OpusHead pre-skip, which demuxers use to trim the start.
    public var codecDelayNanoseconds: UInt64
    public var seekPreRollNanoseconds: UInt64
    public init(
        number: UInt64, codec: WebMCodec, width: Int = 0, height: Int = 0, sampleRate: Double = 0, channels: Int = 0,
        codecPrivate: [UInt8]? = nil, codecDelayNanoseconds: UInt64 = 0, seekPreRollNanoseconds: UInt64 = 0
    ) {
        self.number = number
        self.codec = codec
        self.width = width
        self.height = height
        self.sampleRate = sampleRate
        self.channels = channels
        self.codecPrivate = codecPrivate
        self.codecDelayNanoseconds = codecDelayNanoseconds
        self.seekPreRollNanoseconds = seekPreRollNanoseconds
    }

    public static func video(number: UInt64, codec: WebMCodec, width: Int, height: Int) -> Self {
        Self(number: number, codec: codec, width: width, height: height)
    }

    /// Opus always decodes at 48 kHz whatever the sender captured, so that is what the track declares.
    /// SeekPreRoll is the 80 ms RFC 7845 recommends for the decoder to converge after a seek.
    public static func opus(number: UInt64, channels: Int = 2, preSkip: UInt16 = 0, inputSampleRate: UInt32 = 48_000) -> Self {
        Self(
            number: number, codec: .opus, sampleRate: 48_000, channels: channels,
            codecPrivate: OpusHead.make(channels: channels, preSkip: preSkip, inputSampleRate: inputSampleRate),
            codecDelayNanoseconds: UInt64(preSkip) * 1_000_000_000 / 48_000,
            seekPreRollNanoseconds: 80_000_000)
    }
}

public enum WebMWriterError: Error, Equatable, Sendable {
    case noTracks
    case invalidTrackNumber(UInt64)
    case duplicateTrackNumber(UInt64)
    case unknownTrack(UInt64)
    /// `append` after `finalize`: the file already ends with its Cues.
    case finalized
}

/// Counts of input the writer had to bend to keep the file valid; none of these should happen in a healthy recording.
public struct WebMWriterStatistics: Sendable, Equatable {
    public var blocks = 0
    public var clusters = 0
    /// Blocks not later than the previous block of their track, written 1 ms after it.
    public var outOfOrderClamped = 0
    /// Blocks earlier than their cluster's timestamp, written at the cluster's timestamp.
    public var beforeClusterClamped = 0
    /// Negative timestamps, written at 0 because cluster timestamps are unsigned.
    public var negativeClamped = 0

    public init() {}
}

/// Writes a WebM file that is live while it grows and finalized in place when it ends: frames in, bytes out.
///
/// While recording, the Segment and every Cluster have unknown size and bytes are only appended, so a
/// process killed at any byte leaves a file that plays up to its last complete block. The header holds
/// room (Voids) for what only the end knows: a SeekHead after the Segment's start, a Duration in Info.
/// `finalize()` then returns the Cues to append and the patches (sizes, Duration, SeekHead) to write
/// over the bytes already written; see `WebMFinalization`.
///
/// Timestamps are milliseconds on one timeline shared by all tracks. TimestampScale stays 1 ms, as the
/// WebM guidelines ask: every player and tool handles it, a cluster of up to a second keeps its block
/// offsets far from int16's limit, and 1 ms is finer than anything a frame interval needs (a 60 fps
/// frame lasts 16.7 ms, an Opus packet 10-60 ms). Rounding RTP clocks (90 kHz, 48 kHz) to it moves a
/// frame by under a millisecond and never accumulates, since each frame is rounded from its own RTP time.
///
/// While live, no track declares a DefaultDuration: WebRTC video has no constant frame rate, and a
/// declared one would be invented, which tools take for the real one (ffprobe's r_frame_rate, converters
/// duplicating frames to match it). Finalizing writes the measured mean frame interval into room held
/// in each video TrackEntry: ffmpeg's rate guess from jittered capture times is otherwise unreliable
/// (60/1 or 1000/1 for a 15 fps camera), and the measured mean is the sender's real rate. Every frame
/// still keeps its own timestamp.
public struct WebMWriter: Sendable {
    /// A cluster never spans this much, bounding what a crash can lose and keeping offsets far from int16's limit.
    public static let maximumClusterMilliseconds: Int64 = 1000
    /// After this much, a video keyframe starts a new cluster, so that clusters tend to begin where decoding can.
    public static let keyframeClusterMilliseconds: Int64 = 500
    /// How far a new cluster may start before the block that opens it, to leave room for tracks lagging behind.
    public static let clusterLookbackMilliseconds: Int64 = 250

    public let tracks: [WebMTrackDescription]
    public let writingApp: String
    /// Wall-clock creation time, passed in because the recorder reads no clocks.
    public let dateUnixMilliseconds: Int64?
    public private(set) var statistics = WebMWriterStatistics()

    /// Where everything written so far lies, for `finalize`.
    public private(set) var layout = WebMLayout()

    private var headerWritten = false
    private var isFinalized = false
    private var clusterTimestamp: Int64?
    private var lastTimestamp: [UInt64: Int64] = [:]
    /// The length of everything returned so far, which is where the next byte lands in the file.
    private var written: Int64 = 0
    private var blocks = WebMBlockTracker()

    public init(tracks: [WebMTrackDescription], writingApp: String, dateUnixMilliseconds: Int64? = nil) throws(WebMWriterError) {
        guard !tracks.isEmpty else { throw .noTracks }
        var seen = Set<UInt64>()
        for track in tracks {
            // SimpleBlock track numbers are vints, and 0 is not a track.
            guard track.number > 0, track.number <= EBML.maximumSize else { throw .invalidTrackNumber(track.number) }
            guard seen.insert(track.number).inserted else { throw .duplicateTrackNumber(track.number) }
        }
        self.tracks = tracks
        self.writingApp = writingApp
        self.dateUnixMilliseconds = dateUnixMilliseconds
    }

    /// EBML header, the start of the Segment, the SeekHead's room, Info and Tracks. `append` emits it
    /// first if this was never called.
    public mutating func header() -> [UInt8] {
        guard !headerWritten else { return [] }
        headerWritten = true
        var out = ByteWriter(capacity: 384)
        out.ebmlMaster(EBML.ID.ebml) { ebml in
            ebml.ebmlUInt(EBML.ID.ebmlVersion, 1)
            ebml.ebmlUInt(EBML.ID.ebmlReadVersion, 1)
            ebml.ebmlUInt(EBML.ID.ebmlMaxIDLength, 4)
            ebml.ebmlUInt(EBML.ID.ebmlMaxSizeLength, 8)
            ebml.ebmlString(EBML.ID.docType, "webm")
            ebml.ebmlUInt(EBML.ID.docTypeVersion, 4)
            ebml.ebmlUInt(EBML.ID.docTypeReadVersion, 2)
        }
        out.ebmlID(EBML.ID.segment)
        layout.segmentSizeOffset = written + Int64(out.count)
        out.write(contentsOf: EBML.unknownSize)
        layout.segmentDataOffset = written + Int64(out.count)

        let seekHeadStart = written + Int64(out.count)
        out.write(contentsOf: EBML.void(totalLength: WebMLayout.seekHeadSlotLength) ?? [])
        layout.seekHeadSlot = seekHeadStart..<(written + Int64(out.count))

        var info = ByteWriter(capacity: 128)
        info.ebmlUInt(EBML.ID.timestampScale, 1_000_000)
        let durationInInfo = info.count
        info.write(contentsOf: EBML.void(totalLength: WebMLayout.durationSlotLength) ?? [])
        info.ebmlString(EBML.ID.muxingApp, "EngageBot WebMWriter")
        info.ebmlString(EBML.ID.writingApp, writingApp)
        if let dateUnixMilliseconds {
            // DateUTC counts nanoseconds from 2001-01-01T00:00:00Z, not from the Unix epoch.
            let millisecondsFrom2001 = dateUnixMilliseconds - 978_307_200_000
            let (nanoseconds, overflow) = millisecondsFrom2001.multipliedReportingOverflow(by: 1_000_000)
            if !overflow { info.ebmlInt64(EBML.ID.dateUTC, nanoseconds) }
        }
        layout.infoOffset = written + Int64(out.count)
        out.ebmlID(EBML.ID.info)
        out.ebmlSize(UInt64(info.count))
        layout.durationSlot = written + Int64(out.count + durationInInfo)
        out.write(contentsOf: info.bytes)

        layout.tracksOffset = written + Int64(out.count)
        var list = ByteWriter(capacity: 256)
        var slotsInList: [(track: UInt64, offset: Int)] = []
        for track in tracks {
            var entry = ByteWriter(capacity: 128)
            let slot = Self.writeTrackEntry(track, into: &entry)
            list.ebmlID(EBML.ID.trackEntry)
            list.ebmlSize(UInt64(entry.count))
            if let slot { slotsInList.append((track.number, list.count + slot)) }
            list.write(contentsOf: entry.bytes)
        }
        out.ebmlID(EBML.ID.tracks)
        out.ebmlSize(UInt64(list.count))
        for slot in slotsInList { layout.frameDurationSlots[slot.track] = written + Int64(out.count + slot.offset) }
        out.write(contentsOf: list.bytes)
        written += Int64(out.count)
        layout.end = written
        return out.bytes
    }

    /// What turns the file written so far into a finalized one, and the end of writing; `nil` when
    /// nothing was ever written. The file edge appends `trailing`, applies `patches`, and syncs.
    public mutating func finalize() -> WebMFinalization? {
        guard headerWritten, !isFinalized else { return nil }
        isFinalized = true
        return WebMFinalization(layout)
    }

    /// The bytes to append for one frame: possibly the header, possibly a new Cluster, then one SimpleBlock.
    /// `keyframe` matters for video only; every Opus packet decodes on its own, so audio blocks are always keyframes.
    public mutating func append(
        frame: some Collection<UInt8>, track: UInt64, timestampMilliseconds: Int64, keyframe: Bool
    ) throws(WebMWriterError) -> [UInt8] {
        guard !isFinalized else { throw .finalized }
        guard let description = tracks.first(where: { $0.number == track }) else { throw .unknownTrack(track) }
        var out = ByteWriter(capacity: frame.count + 64)
        if !headerWritten { out.write(contentsOf: header()) }
        let base = written - Int64(out.count)

        var timestamp = timestampMilliseconds
        if timestamp < 0 {
            timestamp = 0
            statistics.negativeClamped += 1
        }
        // Two blocks of one track never share a timestamp, or demuxers see equal DTS. Frames keep their
        // own times; only an exact collision or a step back (a burst rounded to the same millisecond,
        // a late frame) moves a block, and by the least that keeps the track strictly increasing.
        let step: Int64 = 1
        if let last = lastTimestamp[track], timestamp < last + step {
            timestamp = last + step
            statistics.outOfOrderClamped += 1
        }

        let isVideoKeyframe = description.codec.isVideo && keyframe
        if needsNewCluster(at: timestamp, videoKeyframe: isVideoKeyframe) {
            let start = clusterStart(for: timestamp, track: track)
            clusterTimestamp = start
            statistics.clusters += 1
            let clusterOffset = base + Int64(out.count)
            out.ebmlID(EBML.ID.cluster)
            let sizeOffset = base + Int64(out.count)
            // Unknown while live; 8 bytes wide so that finalizing can write the real size over it.
            out.write(contentsOf: EBML.unknownSize)
            out.ebmlUInt(EBML.ID.timestamp, UInt64(start))
            layout.clusters.append(WebMLayout.Cluster(offset: clusterOffset, sizeOffset: sizeOffset, end: 0))
        }
        let start = clusterTimestamp ?? timestamp
        if timestamp < start {
            timestamp = start
            statistics.beforeClusterClamped += 1
            if let last = lastTimestamp[track], timestamp < last + step { timestamp = last + step }
        }
        lastTimestamp[track] = timestamp

        let blockOffset = base + Int64(out.count)
        out.ebmlID(EBML.ID.simpleBlock)
        out.ebmlSize(UInt64(EBML.markedSize(track).length + 3 + frame.count))
        out.ebmlSize(track)
        // Within 0..<maximumClusterMilliseconds by construction, so int16 always holds it.
        out.write(UInt16(truncatingIfNeeded: timestamp - start))
        out.write(UInt8(description.codec.isVideo && !keyframe ? 0x00 : 0x80))
        out.write(contentsOf: frame)
        statistics.blocks += 1
        written = base + Int64(out.count)
        layout.end = written
        if let cluster = layout.clusters.indices.last {
            layout.clusters[cluster].end = written
            let clusterBody = layout.clusters[cluster].sizeOffset + 8
            blocks.record(
                track: track, time: timestamp, keyframe: description.codec.isVideo ? keyframe : true,
                isVideo: description.codec.isVideo,
                clusterOffset: layout.clusters[cluster].offset, relativePosition: blockOffset - clusterBody, into: &layout)
        }
        return out.bytes
    }

    private func needsNewCluster(at timestamp: Int64, videoKeyframe: Bool) -> Bool {
        guard let clusterTimestamp else { return true }
        let elapsed = timestamp - clusterTimestamp
        return elapsed >= Self.maximumClusterMilliseconds || (videoKeyframe && elapsed >= Self.keyframeClusterMilliseconds)
    }

    /// Tracks arrive interleaved but not in lockstep (audio and video jitter buffers differ), so a cluster
    /// opened by one track starts early enough for the other tracks' next blocks, which are never earlier
    /// than their last one, instead of clamping them forward. The lookback bound keeps a stalled track
    /// from dragging every new cluster back.
    private func clusterStart(for timestamp: Int64, track: UInt64) -> Int64 {
        let laggingTrack = lastTimestamp.filter { $0.key != track }.values.min() ?? timestamp
        let floor = max(timestamp - Self.clusterLookbackMilliseconds, clusterTimestamp ?? 0, 0)
        return max(floor, min(timestamp, laggingTrack))
    }

    /// Returns where, in the entry's body, a video track holds room for its DefaultDuration.
    private static func writeTrackEntry(_ track: WebMTrackDescription, into entry: inout ByteWriter) -> Int? {
        entry.ebmlUInt(EBML.ID.trackNumber, track.number)
        entry.ebmlUInt(EBML.ID.trackUID, track.number)
        entry.ebmlUInt(EBML.ID.trackType, track.codec.isVideo ? 1 : 2)
        entry.ebmlUInt(EBML.ID.flagLacing, 0)
        entry.ebmlString(EBML.ID.codecID, track.codec.codecID)
        if let codecPrivate = track.codecPrivate { entry.ebmlBinary(EBML.ID.codecPrivate, codecPrivate) }
        if track.codecDelayNanoseconds > 0 { entry.ebmlUInt(EBML.ID.codecDelay, track.codecDelayNanoseconds) }
        if track.seekPreRollNanoseconds > 0 { entry.ebmlUInt(EBML.ID.seekPreRoll, track.seekPreRollNanoseconds) }
        var slot: Int?
        if track.codec.isVideo {
            slot = entry.count
            entry.write(contentsOf: EBML.void(totalLength: WebMLayout.frameDurationSlotLength) ?? [])
            entry.ebmlMaster(EBML.ID.video) { video in
                video.ebmlUInt(EBML.ID.pixelWidth, UInt64(max(track.width, 0)))
                video.ebmlUInt(EBML.ID.pixelHeight, UInt64(max(track.height, 0)))
            }
        } else {
            entry.ebmlMaster(EBML.ID.audio) { audio in
                audio.ebmlFloat(EBML.ID.samplingFrequency, track.sampleRate)
                audio.ebmlUInt(EBML.ID.channels, UInt64(max(track.channels, 1)))
            }
        }
        return slot
    }
}
