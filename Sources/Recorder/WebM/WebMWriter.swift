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
    /// Matroska's DefaultDuration, written when set. See `ParticipantRecorder` for why video carries one.
    public var defaultDurationNanoseconds: UInt64?

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
}

/// Counts of input the writer had to bend to keep the file valid; none of these should happen in a healthy recording.
public struct WebMWriterStatistics: Sendable, Equatable {
    public var blocks = 0
    public var clusters = 0
    /// Blocks earlier than the previous block of their track, written at that previous timestamp.
    public var outOfOrderClamped = 0
    /// Blocks earlier than their cluster's timestamp, written at the cluster's timestamp.
    public var beforeClusterClamped = 0
    /// Negative timestamps, written at 0 because cluster timestamps are unsigned.
    public var negativeClamped = 0

    public init() {}
}

/// Writes a live WebM stream: bytes in, bytes out, append-only.
///
/// The Segment and every Cluster have unknown size, so nothing is ever rewritten and a process killed
/// at any byte leaves a file that plays up to its last complete block. Timestamps are milliseconds
/// (TimestampScale 1 ms) on one timeline shared by all tracks.
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

    private var headerWritten = false
    private var clusterTimestamp: Int64?
    private var lastTimestamp: [UInt64: Int64] = [:]

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

    /// EBML header, the start of the Segment, Info and Tracks. `append` emits it first if this was never called.
    public mutating func header() -> [UInt8] {
        guard !headerWritten else { return [] }
        headerWritten = true
        var out = ByteWriter(capacity: 256)
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
        out.write(contentsOf: EBML.unknownSize)
        out.ebmlMaster(EBML.ID.info) { info in
            info.ebmlUInt(EBML.ID.timestampScale, 1_000_000)
            info.ebmlString(EBML.ID.muxingApp, "EngageBot WebMWriter")
            info.ebmlString(EBML.ID.writingApp, writingApp)
            if let dateUnixMilliseconds {
                // DateUTC counts nanoseconds from 2001-01-01T00:00:00Z, not from the Unix epoch.
                let millisecondsFrom2001 = dateUnixMilliseconds - 978_307_200_000
                let (nanoseconds, overflow) = millisecondsFrom2001.multipliedReportingOverflow(by: 1_000_000)
                if !overflow { info.ebmlInt64(EBML.ID.dateUTC, nanoseconds) }
            }
        }
        out.ebmlMaster(EBML.ID.tracks) { list in
            for track in tracks { list.ebmlMaster(EBML.ID.trackEntry) { Self.writeTrackEntry(track, into: &$0) } }
        }
        return out.bytes
    }

    /// The smallest distance between two blocks of a track, in milliseconds: its DefaultDuration, else 1.
    static func minimumStep(_ track: WebMTrackDescription) -> Int64 {
        guard let duration = track.defaultDurationNanoseconds, duration > 0 else { return 1 }
        return Int64((duration + 999_999) / 1_000_000)
    }

    /// The bytes to append for one frame: possibly the header, possibly a new Cluster, then one SimpleBlock.
    /// `keyframe` matters for video only; every Opus packet decodes on its own, so audio blocks are always keyframes.
    public mutating func append(
        frame: some Collection<UInt8>, track: UInt64, timestampMilliseconds: Int64, keyframe: Bool
    ) throws(WebMWriterError) -> [UInt8] {
        guard let description = tracks.first(where: { $0.number == track }) else { throw .unknownTrack(track) }
        var out = ByteWriter(capacity: frame.count + 64)
        if !headerWritten { out.write(contentsOf: header()) }

        var timestamp = timestampMilliseconds
        if timestamp < 0 {
            timestamp = 0
            statistics.negativeClamped += 1
        }
        // Two blocks of one track never share a timestamp: demuxers then see equal DTS, and a video track
        // keeps at least its declared frame duration between blocks (see `ParticipantRecorder`).
        let step = Self.minimumStep(description)
        if let last = lastTimestamp[track], timestamp < last + step {
            timestamp = last + step
            statistics.outOfOrderClamped += 1
        }

        let isVideoKeyframe = description.codec.isVideo && keyframe
        if needsNewCluster(at: timestamp, videoKeyframe: isVideoKeyframe) {
            let start = clusterStart(for: timestamp, track: track)
            clusterTimestamp = start
            statistics.clusters += 1
            out.ebmlID(EBML.ID.cluster)
            out.write(contentsOf: EBML.unknownSize)
            out.ebmlUInt(EBML.ID.timestamp, UInt64(start))
        }
        let start = clusterTimestamp ?? timestamp
        if timestamp < start {
            timestamp = start
            statistics.beforeClusterClamped += 1
            if let last = lastTimestamp[track], timestamp < last + step { timestamp = last + step }
        }
        lastTimestamp[track] = timestamp

        let trackNumber = EBML.encodeSize(track)
        out.ebmlID(EBML.ID.simpleBlock)
        out.write(contentsOf: EBML.encodeSize(UInt64(trackNumber.count + 3 + frame.count)))
        out.write(contentsOf: trackNumber)
        // Within 0..<maximumClusterMilliseconds by construction, so int16 always holds it.
        out.write(UInt16(truncatingIfNeeded: timestamp - start))
        out.write(UInt8(description.codec.isVideo && !keyframe ? 0x00 : 0x80))
        out.write(contentsOf: frame)
        statistics.blocks += 1
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

    private static func writeTrackEntry(_ track: WebMTrackDescription, into entry: inout ByteWriter) {
        entry.ebmlUInt(EBML.ID.trackNumber, track.number)
        entry.ebmlUInt(EBML.ID.trackUID, track.number)
        entry.ebmlUInt(EBML.ID.trackType, track.codec.isVideo ? 1 : 2)
        entry.ebmlUInt(EBML.ID.flagLacing, 0)
        entry.ebmlString(EBML.ID.codecID, track.codec.codecID)
        if let codecPrivate = track.codecPrivate { entry.ebmlBinary(EBML.ID.codecPrivate, codecPrivate) }
        if track.codecDelayNanoseconds > 0 { entry.ebmlUInt(EBML.ID.codecDelay, track.codecDelayNanoseconds) }
        if track.seekPreRollNanoseconds > 0 { entry.ebmlUInt(EBML.ID.seekPreRoll, track.seekPreRollNanoseconds) }
        if let duration = track.defaultDurationNanoseconds { entry.ebmlUInt(EBML.ID.defaultDuration, duration) }
        if track.codec.isVideo {
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
    }
}
