import Mesh

/// Joins the fragments of consecutive packets into frames, and for video holds frames back
/// from a loss until the next keyframe, since delta frames would decode against a broken
/// reference.
///
/// It expects packets in sequence order with every gap reported through `packetsLost()`;
/// `JitterBuffer` provides that.
///
/// A frame's size is the sender's to choose, and a sender that never sets the end bit (nor
/// changes the timestamp) would grow one frame forever. So a frame is bounded in bytes and in
/// packets; one that outgrows either is dropped as if cut by a loss, counted in `oversizedFrames`.
public struct FrameAssembler: Sendable {
    /// Far above any real frame: a 4K VP9 keyframe at high quality is around 1 MiB.
    public static let maximumFrameBytes = 4 << 20
    /// A 4 MiB frame in ~1200-byte packets is ~3,500 packets.
    public static let maximumPacketsPerFrame = 8_192

    public enum Event: Sendable, Equatable {
        case frame(MediaFrame)
        /// A frame thrown away: cut by a loss, or a delta frame while waiting for a keyframe.
        case dropped(awaitingKeyframe: Bool)
    }

    public let depacketizer: any Depacketizer
    /// Video only: set at the start and after every loss, cleared by a keyframe.
    public private(set) var isAwaitingKeyframe: Bool
    /// Frames dropped for outgrowing `maximumFrameBytes` or `maximumPacketsPerFrame`.
    public private(set) var oversizedFrames = 0

    private var isInFrame = false
    /// The current frame is being skipped (no keyframe yet): its bytes are never copied.
    private var isDiscarding = false
    /// Where every frame of the stream is assembled: kept between frames (up to `keptAssemblyCapacity`),
    /// and each frame leaves as an exact copy of it. A fresh buffer per frame, grown as packets came and
    /// then trimmed, took three allocations per video frame.
    private var data: [UInt8] = []
    private var packetsInFrame = 0
    private var layerStarts: [Int] = []
    private var rtpTimestamp: UInt32 = 0
    private var isKeyframe = false
    private var width: Int?
    private var height: Int?
    private var firstSequence: UInt64 = 0
    private var lastSequence: UInt64 = 0
    private var receivedAt = Timestamp.zero

    public init(depacketizer: any Depacketizer) {
        self.depacketizer = depacketizer
        isAwaitingKeyframe = depacketizer.isVideo
    }

    /// Adds the next packet's fragment; completed or dropped frames are appended to `events`.
    public mutating func push(
        _ fragment: PayloadFragment, rtpTimestamp: UInt32, sequence: UInt64, at time: Timestamp,
        into events: inout [Event]
    ) {
        if isInFrame, rtpTimestamp != self.rtpTimestamp {
            // No loss came between, so a new timestamp means the last one's end bit was
            // missing rather than its packets.
            finish(into: &events)
        }
        if !isInFrame {
            guard fragment.isFrameStart else { return }  // the tail of a frame cut by a loss
            begin(fragment, rtpTimestamp: rtpTimestamp, sequence: sequence, at: time, into: &events)
        } else {
            lastSequence = sequence
            if time > receivedAt { receivedAt = time }
            packetsInFrame &+= 1
            if !isDiscarding, packetsInFrame > Self.maximumPacketsPerFrame
                || fragment.data.count > Self.maximumFrameBytes - data.count
            {
                abandonOversizedFrame(into: &events)
            }
            if !isDiscarding {
                if fragment.startsLayerFrame { layerStarts.append(data.count) }
                data.append(contentsOf: fragment.data)
            }
        }
        if fragment.isFrameEnd { finish(into: &events) }
    }

    /// Skips the rest of the current frame: for video, later frames wait for a keyframe as after a loss.
    private mutating func abandonOversizedFrame(into events: inout [Event]) {
        oversizedFrames &+= 1
        isDiscarding = true
        data = []
        layerStarts.removeAll()
        if depacketizer.isVideo { isAwaitingKeyframe = true }
        events.append(.dropped(awaitingKeyframe: depacketizer.isVideo))
    }

    /// Drops the partial frame, if any, and for video waits for the next keyframe.
    public mutating func packetsLost(into events: inout [Event]) {
        if depacketizer.isVideo { isAwaitingKeyframe = true }
        guard isInFrame else { return }
        isInFrame = false
        if !isDiscarding { events.append(.dropped(awaitingKeyframe: false)) }
    }

    /// Forgets everything, as for a new stream.
    public mutating func reset(into events: inout [Event]) {
        packetsLost(into: &events)
        isAwaitingKeyframe = depacketizer.isVideo
    }

    private mutating func begin(
        _ fragment: PayloadFragment, rtpTimestamp: UInt32, sequence: UInt64, at time: Timestamp,
        into events: inout [Event]
    ) {
        isInFrame = true
        packetsInFrame = 1
        self.rtpTimestamp = rtpTimestamp
        firstSequence = sequence
        lastSequence = sequence
        receivedAt = time
        isKeyframe = fragment.isKeyframe
        width = fragment.width
        height = fragment.height
        if isAwaitingKeyframe, !fragment.isKeyframe {
            isDiscarding = true
            events.append(.dropped(awaitingKeyframe: true))
            return
        }
        isAwaitingKeyframe = false
        isDiscarding = false
        data.removeAll(keepingCapacity: true)
        data.append(contentsOf: fragment.data)
        layerStarts.removeAll(keepingCapacity: true)
        layerStarts.append(0)
    }

    private mutating func finish(into events: inout [Event]) {
        isInFrame = false
        guard !isDiscarding else { return }
        if layerStarts.count > 1 {
            var sizes: [Int] = []
            sizes.reserveCapacity(layerStarts.count)
            for (index, start) in layerStarts.enumerated() {
                let end = index + 1 < layerStarts.count ? layerStarts[index + 1] : data.count
                sizes.append(end - start)
            }
            depacketizer.finishFrame(&data, layerSizes: sizes)
        }
        let frame = MediaFrame(
            data: FrameAssembler.exactCopy(of: data), rtpTimestamp: rtpTimestamp, isKeyframe: isKeyframe, width: width,
            height: height, firstSequence: firstSequence, lastSequence: lastSequence, receivedAt: receivedAt)
        // A keyframe can be a hundred times a delta frame: the room it needed is not kept for the next.
        if data.capacity > Self.keptAssemblyCapacity { data = [] } else { data.removeAll(keepingCapacity: true) }
        events.append(.frame(frame))
    }

    /// The assembly buffer kept between frames: a 1 Mbit/s camera's delta frames are about 4 KB, a 720p
    /// camera's at 2.5 Mbit/s about 10 KB. Kept per video stream, so small: 100 participants keep 1.6 MB.
    static let keptAssemblyCapacity = 16 << 10

    /// `data` in a buffer of its own with no spare capacity. A frame waits up to half a second in the
    /// recorder's interleaving holdback, so spare room would be held that long (at 1 Mbit/s geometric
    /// growth left ~100 KB per participant); one copy per frame (a few KB) costs far less.
    static func exactCopy(of data: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: data.count) { buffer, initialized in
            initialized = data.withUnsafeBufferPointer { source in
                guard let base = source.baseAddress, let destination = buffer.baseAddress else { return 0 }
                destination.initialize(from: base, count: source.count)
                return source.count
            }
        }
    }
}
