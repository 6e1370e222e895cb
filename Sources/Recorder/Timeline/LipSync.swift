import Mesh

/// Places one sender's frames on the receiver's clock as they were captured, so its audio and video
/// line up in the file however differently the network delayed them (docs/timeline.md).
///
/// With sender reports, a frame's capture time is known on the sender's NTP clock (`CaptureClock`),
/// the same clock for all of its streams. The receiver's clock is that clock shifted by an offset:
/// the smallest one-way delay seen (over a sliding window), so the fastest stream lands where it
/// arrived and a slower one is moved back to where it belongs. The offset follows drift and path
/// changes at a bounded slew (2 %), which keeps every track monotonic and both tracks in step.
///
/// Before a stream's first report its frames are placed by arrival: anchored at the first frame's
/// arrival and advanced by the RTP clock. When a report then arrives, the difference between the
/// two placements is bled off at the same slew instead of jumping. Every later report is treated the
/// same way: senders that stamp reports with their send time rather than their capture clock (aiortc,
/// or any sender whose pacing stalls under load) move their mapping by tens of milliseconds from
/// report to report, and following each move at once would push frames backwards.
public struct LipSync: Sendable {
    /// How fast placements may bend: 20 ms per second of media.
    static let slewDivisor: Int64 = 50
    /// The one-way delay is the minimum over this long, so a stalled stream does not hold it down forever.
    static let delayWindowNanoseconds: Int64 = 10_000_000_000
    /// A placement this far from the frame's arrival is not believed (a hostile or broken report).
    static let plausibleLeadNanoseconds: Int64 = 1_000_000_000
    static let plausibleLagNanoseconds: Int64 = 5_000_000_000

    public struct Statistics: Sendable, Equatable {
        public var placedBySenderClock = 0
        public var placedByArrival = 0
        /// Reports that moved a stream's mapping, bridged and bled off rather than jumped to.
        public var reanchors = 0
        /// Placements refused as implausible and made by arrival instead.
        public var implausible = 0
        /// Sender-clock jumps bridged.
        public var clockJumps = 0
    }

    private struct Track: Sendable {
        var clock: CaptureClock
        var lastPosition: Int64?
        var lastRTP: UInt32 = 0
        var unwrappedRTP: Int64 = 0
        /// Arrival placement: the first frame's arrival and (unwrapped) RTP timestamp.
        var arrivalAnchor: (arrival: Int64, rtp: Int64)?
        /// Added to the sender-clock placement, bled towards zero; bridges switches and jumps.
        var correction: Int64 = 0
        var placedBySenderClock = false
        var reportsSeen = 0
        var jumpsSeen = 0
    }

    private var tracks: [UInt32: Track] = [:]
    /// Receiver clock minus sender clock, in nanoseconds; nil until a report and a frame meet.
    private var offset: Int64?
    /// Two half-window minima of (arrival - capture): their minimum is the windowed minimum.
    private var delayBuckets: (current: Int64?, previous: Int64?, started: Int64) = (nil, nil, 0)
    /// The latest capture time the offset was slewed at: the slew is 2 % of the media time since. Only
    /// moves forward, since the tracks' frames interleave slightly out of capture order.
    private var lastSlewAt: Int64?
    /// Set once a frame was placed with the offset: from then on it only slews.
    private var offsetInUse = false
    public private(set) var statistics = Statistics()

    public init() {}

    public mutating func addTrack(ssrc: UInt32, clockRate: UInt32) {
        if tracks[ssrc] == nil { tracks[ssrc] = Track(clock: CaptureClock(clockRate: clockRate)) }
    }

    public mutating func senderReport(ssrc: UInt32, ntp: NTPTime, rtpTimestamp: UInt32) {
        tracks[ssrc]?.clock.senderReport(ntp: ntp, rtpTimestamp: rtpTimestamp)
    }

    public func hasSenderReport(ssrc: UInt32) -> Bool { tracks[ssrc]?.clock.isAnchored ?? false }

    /// Learns the one-way delay of a frame not yet placed: frames held at the start of a recording are
    /// all observed first, so the first placements already use the smallest delay among them.
    public mutating func observe(ssrc: UInt32, rtpTimestamp: UInt32, receivedAt: Timestamp) {
        guard let capture = tracks[ssrc]?.clock.captureNanoseconds(rtpTimestamp: rtpTimestamp) else { return }
        let (delay, overflow) = receivedAt.nanoseconds.subtractingReportingOverflow(capture)
        guard !overflow else { return }
        recordDelay(delay, at: receivedAt.nanoseconds)
        if !offsetInUse { offset = min(offset ?? delay, delay) }
    }

    /// Where a frame belongs on the receiver's clock. Call in each track's frame order.
    public mutating func place(ssrc: UInt32, rtpTimestamp: UInt32, receivedAt: Timestamp) -> Timestamp {
        guard tracks[ssrc] != nil else { return receivedAt }
        observe(ssrc: ssrc, rtpTimestamp: rtpTimestamp, receivedAt: receivedAt)
        guard var track = tracks[ssrc] else { return receivedAt }
        let arrival = receivedAt.nanoseconds
        // The offset slews by media time (the sender's capture clock), not by arrival: frames that arrive in
        // a burst after a stall are captured 20 ms apart, and must stay that far apart in the file.
        if let capture = track.clock.captureNanoseconds(rtpTimestamp: rtpTimestamp) { slewOffset(at: capture) }

        // Unwrap the 32-bit RTP clock against the previous frame of this track.
        if track.lastPosition == nil {
            track.unwrappedRTP = Int64(rtpTimestamp)
        } else {
            track.unwrappedRTP &+= Int64(Int32(truncatingIfNeeded: rtpTimestamp &- track.lastRTP))
        }
        let elapsedSinceLast = track.lastPosition == nil ? 0 : Self.nanoseconds(
            ticks: Int64(Int32(truncatingIfNeeded: rtpTimestamp &- track.lastRTP)), clockRate: track.clock.clockRate)
        track.lastRTP = rtpTimestamp
        if track.arrivalAnchor == nil { track.arrivalAnchor = (arrival, track.unwrappedRTP) }
        let byArrival = Self.arrivalPlacement(track)

        var position = byArrival
        if let capture = track.clock.captureNanoseconds(rtpTimestamp: rtpTimestamp), let offset {
            let (senderPosition, overflow) = capture.addingReportingOverflow(offset)
            if !overflow {
                let reanchored = track.clock.reports != track.reportsSeen
                let jumped = track.clock.jumps != track.jumpsSeen
                track.reportsSeen = track.clock.reports
                track.jumpsSeen = track.clock.jumps
                if let last = track.lastPosition, !track.placedBySenderClock || reanchored {
                    // A switch from arrival placement, a new report or a sender clock jump: continue
                    // where the track was, and let the correction bleed off from there.
                    let continued = track.placedBySenderClock ? last &+ elapsedSinceLast : byArrival
                    track.correction = continued &- senderPosition
                    if jumped { statistics.clockJumps += 1 }
                    if reanchored && track.placedBySenderClock { statistics.reanchors += 1 }
                } else if let last = track.lastPosition {
                    track.correction = Self.bleed(track.correction, over: senderPosition &- (last &- track.correction))
                }
                track.placedBySenderClock = true
                offsetInUse = true
                position = senderPosition &+ track.correction
            }
        }
        if position > arrival &+ Self.plausibleLeadNanoseconds || position < arrival &- Self.plausibleLagNanoseconds {
            statistics.implausible += 1
            position = min(max(byArrival, arrival &- Self.plausibleLagNanoseconds), arrival &+ Self.plausibleLeadNanoseconds)
            track.placedBySenderClock = false
        }
        if track.placedBySenderClock { statistics.placedBySenderClock += 1 } else { statistics.placedByArrival += 1 }
        track.lastPosition = position
        tracks[ssrc] = track
        return Timestamp(nanoseconds: position)
    }

    // MARK: - Internals

    private static func arrivalPlacement(_ track: Track) -> Int64 {
        guard let anchor = track.arrivalAnchor else { return 0 }
        let ticks = track.unwrappedRTP &- anchor.rtp
        return anchor.arrival &+ nanoseconds(ticks: ticks, clockRate: track.clock.clockRate)
    }

    private static func nanoseconds(ticks: Int64, clockRate: UInt32) -> Int64 {
        guard clockRate > 0 else { return 0 }
        let (product, overflow) = ticks.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (ticks / Int64(clockRate)) &* 1_000_000_000 : product / Int64(clockRate)
    }

    /// Moves `correction` towards zero by the slew allowed over `elapsed` nanoseconds of media.
    private static func bleed(_ correction: Int64, over elapsed: Int64) -> Int64 {
        let step = max(elapsed, 0) / slewDivisor
        if correction > 0 { return max(correction &- step, 0) }
        return min(correction &+ step, 0)
    }

    private mutating func recordDelay(_ delay: Int64, at time: Int64) {
        if time &- delayBuckets.started >= Self.delayWindowNanoseconds / 2 {
            delayBuckets = (nil, delayBuckets.current, time)
        }
        delayBuckets.current = min(delayBuckets.current ?? delay, delay)
    }

    private var windowedDelay: Int64? {
        switch (delayBuckets.current, delayBuckets.previous) {
        case (let current?, let previous?): min(current, previous)
        case (let current?, nil): current
        case (nil, let previous?): previous
        case (nil, nil): nil
        }
    }

    private mutating func slewOffset(at time: Int64) {
        defer { lastSlewAt = max(lastSlewAt ?? time, time) }
        guard let current = offset, let target = windowedDelay, let lastSlewAt else { return }
        let step = max(time &- lastSlewAt, 0) / Self.slewDivisor
        let difference = target &- current
        offset = current &+ min(max(difference, -step), step)
    }
}
