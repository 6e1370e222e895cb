/// Opus for a microphone that is always silent: the bot's tile.
///
/// Fed nothing but zeros, libopus settles within a fraction of a second into a fixed cycle of packets: DTX
/// frames with a comfort-noise update every 21st frame, four different updates in turn (libopus 1.3, stereo
/// at 32 kbit/s: 84 frames), yet encoding each 20 ms still costs a full `opus_encode`: about 5 % of the
/// recorder's CPU at 20 participants (docs/architecture.md, the bot's tile in "The path of one media
/// packet"). So this encodes only until 12 s of output follow one period, then hands out that period again
/// and again: the same bytes the encoder would have produced, without it.
///
/// An encoder that never settles (another libopus) is simply used for every frame.
///
/// Not thread-safe; one owner calls it.
public final class OpusSilence {
    private let encoder: OpusEncoder
    /// The latest packets while still encoding; at most `longestPeriod * repetitionsToSettle`.
    private var recent: [[UInt8]] = []
    /// Once settled: one period of packets, and where in it the next one is.
    private var cycle: [[UInt8]] = []
    private var position = 0

    /// Four seconds: twice the cycle libopus is seen to settle into.
    static let longestPeriod = 200
    /// How many times over the longest period the output must repeat before it is taken to repeat for good:
    /// the whole window (12 s) must follow one period, or a run of identical DTX frames would pass for one.
    static let repetitionsToSettle = 3

    /// How many 20 ms frames libopus encoded; it stops growing once the output settled.
    public private(set) var encodedFrames = 0
    /// The length of the repeating period once found, in 20 ms frames.
    public var settledPeriod: Int? { cycle.isEmpty ? nil : cycle.count }
    /// Samples per channel the encoder delays its output by, for an OpusHead.
    public var lookahead: Int { encoder.lookahead }

    public init(channels: Int, bitrate: Int, complexity: Int) throws(OpusEncoderError) {
        encoder = try OpusEncoder(channels: channels, bitrate: bitrate, complexity: complexity)
    }

    /// How many of the coming packets in a row are DTX ("still silent", `OpusEncoder.isDiscontinuous`), as
    /// far as the settled cycle tells; 0 before it settled. At most one period.
    public var discontinuousPacketsAhead: Int {
        guard !cycle.isEmpty else { return 0 }
        var count = 0, index = position
        while count < cycle.count, OpusEncoder.isDiscontinuous(cycle[index]) {
            count += 1
            index = index + 1 == cycle.count ? 0 : index + 1
        }
        return count
    }

    /// Passes over `count` packets of the settled cycle without handing them out; nothing before it settled.
    public func skip(_ count: Int) {
        guard !cycle.isEmpty, count > 0 else { return }
        position = (position + count % cycle.count) % cycle.count
    }

    /// The next 20 ms of silence.
    public func next() throws(OpusEncoderError) -> [UInt8] {
        if !cycle.isEmpty {
            let packet = cycle[position]
            position = position + 1 == cycle.count ? 0 : position + 1
            return packet
        }
        let packet = try encoder.encodeSilence()
        encodedFrames += 1
        recent.append(packet)
        let window = Self.longestPeriod * Self.repetitionsToSettle
        if recent.count > window { recent.removeFirst(recent.count - window) }
        if recent.count == window, let period = repeatingPeriod() {
            // The packet after the last one is the first of the last period.
            cycle = Array(recent.suffix(period))
            recent = []
        }
        return packet
    }

    /// The shortest period that the whole window follows, if any.
    private func repeatingPeriod() -> Int? {
        (1...Self.longestPeriod).first { period in
            (period..<recent.count).allSatisfy { recent[$0] == recent[$0 - period] }
        }
    }
}
