/// Where the parts of a live WebM file lie, which is all that finalizing it needs.
///
/// `WebMWriter` keeps one while it writes; `WebMLiveFileReader` rebuilds one from a file left by a
/// killed process. Both then hand it to `WebMFinalization`, so a file finalized on a clean close and
/// one repaired after a kill come out byte for byte the same. Offsets are absolute file offsets.
public struct WebMLayout: Sendable, Equatable {
    public struct Cluster: Sendable, Equatable {
        /// Where the Cluster's ID starts.
        public var offset: Int64
        /// Where its 8-byte size field starts: unknown while live, the real size once finalized.
        public var sizeOffset: Int64
        /// Just past its last complete block.
        public var end: Int64

        public init(offset: Int64, sizeOffset: Int64, end: Int64) {
            self.offset = offset
            self.sizeOffset = sizeOffset
            self.end = end
        }
    }

    /// A block where playback can start.
    public struct CuePoint: Sendable, Equatable {
        /// In TimestampScale units (milliseconds for our files).
        public var time: Int64
        public var track: UInt64
        public var clusterOffset: Int64
        /// From the start of the Cluster's body (after its size) to the block's ID.
        public var relativePosition: Int64

        public init(time: Int64, track: UInt64, clusterOffset: Int64, relativePosition: Int64) {
            self.time = time
            self.track = track
            self.clusterOffset = clusterOffset
            self.relativePosition = relativePosition
        }
    }

    /// What a video track's frames span, for the mean frame interval.
    public struct FrameTiming: Sendable, Equatable {
        public var first: Int64
        public var last: Int64
        public var frames: Int
    }

    /// The Segment's 8-byte size field.
    public var segmentSizeOffset: Int64 = 0
    /// The first byte of the Segment's body, the origin of SeekPosition and CueClusterPosition.
    public var segmentDataOffset: Int64 = 0
    /// The room reserved at the start of the Segment for a SeekHead (a Void while live).
    public var seekHeadSlot: Range<Int64>?
    /// Room inside Info for an 8-byte float Duration (`durationSlotLength` bytes: a Void while live).
    public var durationSlot: Int64?
    public var infoOffset: Int64?
    public var tracksOffset: Int64?
    /// Room in each video TrackEntry for a DefaultDuration (`frameDurationSlotLength` bytes: a Void while live).
    public var frameDurationSlots: [UInt64: Int64] = [:]
    public var frameTiming: [UInt64: FrameTiming] = [:]
    public var clusters: [Cluster] = []
    /// Every video keyframe.
    public var keyframeCuePoints: [CuePoint] = []
    /// The first block of every cluster, for files without video frames (every Opus packet decodes on its own).
    public var clusterCuePoints: [CuePoint] = []
    /// What the Cues index: keyframes when there are any, since video can only start there.
    public var cuePoints: [CuePoint] { keyframeCuePoints.isEmpty ? clusterCuePoints : keyframeCuePoints }
    /// The end of the media, in TimestampScale units: the last block of the longest track plus that track's
    /// last frame interval, since a block has no duration of its own.
    public var duration: Int64 = 0
    /// Where the media ends and the Cues go: past the last complete block (or the Tracks without any).
    public var end: Int64 = 0

    /// Duration's ID (2 bytes), its size (1 byte) and the 8-byte float.
    public static let durationSlotLength = 11
    /// DefaultDuration's ID (3 bytes), its size (1 byte) and an 8-byte unsigned integer.
    public static let frameDurationSlotLength = 12
    /// A SeekHead naming Info, Tracks and Cues takes 68 bytes with 8-byte positions; the rest stays a Void.
    public static let seekHeadSlotLength = 96
    /// The most room a file read back may claim for its SeekHead (a finalized file's SeekHead and padding
    /// fill exactly what was reserved; this bound only keeps hostile sizes from being honoured).
    public static let maximumSeekHeadSlotLength = 4096

    public init() {}
}

/// Follows blocks as they are written or read, to derive a layout's cue points and duration the same
/// way in the writer and in the reader.
struct WebMBlockTracker: Sendable, Equatable {
    private var lastTime: [UInt64: Int64] = [:]
    private var lastStep: [UInt64: Int64] = [:]
    private var cuedCluster: Int64?

    mutating func record(
        track: UInt64, time: Int64, keyframe: Bool, isVideo: Bool,
        clusterOffset: Int64, relativePosition: Int64, into layout: inout WebMLayout
    ) {
        if let last = lastTime[track] { lastStep[track] = time &- last }
        lastTime[track] = time
        let end = time &+ max(lastStep[track] ?? 0, 0)
        layout.duration = max(layout.duration, end)
        let point = WebMLayout.CuePoint(time: time, track: track, clusterOffset: clusterOffset, relativePosition: relativePosition)
        if isVideo && keyframe { layout.keyframeCuePoints.append(point) }
        if isVideo {
            var timing = layout.frameTiming[track] ?? WebMLayout.FrameTiming(first: time, last: time, frames: 0)
            timing.last = time
            timing.frames += 1
            layout.frameTiming[track] = timing
        }
        if cuedCluster != clusterOffset {
            cuedCluster = clusterOffset
            layout.clusterCuePoints.append(point)
        }
    }
}
