import Mesh

/// Reorders one SSRC's packets and assembles them into frames, sans-IO.
///
/// Feed packets with `push(_:at:)`, then call `poll(at:)` until it returns nil, and call it
/// again at `nextDeadline`. Packets are released in sequence order. A gap is waited for until
/// the oldest held packet has waited `gapWait`, or until more than `capacity` packets would
/// be held; then the missing ones are declared lost. Video then drops the partial frame and
/// skips frames until a keyframe, asking for one (PLI, then FIR if no keyframe came within
/// `fullIntraAfter`); audio simply carries on. A stream whose sender repairs loss (NACK + RTX)
/// waits long enough for those repairs: `gapWait` follows the round trip (`updateRoundTrip`),
/// between `maxDelay` and `repairWaitLimit`, so a gap is declared lost only when waiting can
/// no longer help.
///
/// The first packets of a stream are held (up to `maxDelay`) until the head of the buffer
/// starts a frame, so a keyframe whose first packet arrives late is not lost at startup.
public struct JitterBuffer: Sendable {
    public struct Configuration: Sendable {
        public var maxDelay: Duration
        /// Packets held at most; beyond it the oldest gap is declared lost at once.
        public var capacity: Int
        public var keyframeRequestInterval: Duration
        /// A jump further than this, either way, is a restarted stream, not a gap.
        public var restartDistance: Int
        /// Whether the sender repairs this stream's loss (NACK negotiated), so gaps are worth waiting for.
        public var waitsForRepairs: Bool
        /// The longest wait for a repair, whatever the round trip.
        public var repairWaitLimit: Duration
        /// How long a keyframe asked for by PLI may take before it is demanded by FIR.
        public var fullIntraAfter: Duration
        /// Requests for a missing packet worth waiting for (the sender's NACK retries them a retry interval apart).
        public var repairAttempts: Int

        public init(maxDelay: Duration, capacity: Int, keyframeRequestInterval: Duration = .milliseconds(500),
                    restartDistance: Int = 3000, waitsForRepairs: Bool = false,
                    repairWaitLimit: Duration = .seconds(1), fullIntraAfter: Duration = .seconds(1),
                    repairAttempts: Int = 6) {
            precondition(capacity > 0 && capacity < restartDistance, "capacity must be below the restart distance")
            self.maxDelay = maxDelay
            self.capacity = capacity
            self.keyframeRequestInterval = keyframeRequestInterval
            self.restartDistance = restartDistance
            self.waitsForRepairs = waitsForRepairs
            self.repairWaitLimit = repairWaitLimit
            self.fullIntraAfter = fullIntraAfter
            self.repairAttempts = repairAttempts
        }

        /// At least 150 ms, more as the round trip asks; 512 packets hold a 1080p keyframe. Browsers
        /// negotiate NACK and RTX for video.
        public static let video = Configuration(maxDelay: .milliseconds(150), capacity: 512, waitsForRepairs: true)
        /// Audio plays through loss (browsers negotiate no NACK for it), so it waits less.
        public static let audio = Configuration(maxDelay: .milliseconds(60), capacity: 64)

        /// The wait for a gap given the round trip: the first NACK goes out about when the gap is seen,
        /// each retry a retry interval later, and the answer to the last may take a full timeout, so
        /// `repairAttempts` chances fit: at 10 % loss, where a NACK or its RTX is lost 19 % of the time, a
        /// lost packet is then still missing about once in 200,000 (with four chances, once in 7,700:
        /// a freeze every 30 s of a 500 kbit/s call). One still missing costs a keyframe and a freeze.
        public func gapWait(roundTrip: RoundTrip) -> Duration {
            guard waitsForRepairs else { return maxDelay }
            let wanted = roundTrip.timeout + roundTrip.retryInterval * max(repairAttempts - 1, 0) + .milliseconds(20)
            return min(max(maxDelay, wanted), max(maxDelay, repairWaitLimit))
        }
    }

    private enum Content: Sendable {
        case media(PayloadFragment)
        /// Padding-only packet (bandwidth probing): takes a sequence number, carries nothing.
        case padding
        /// Unreadable descriptor: treated as a loss when its turn comes.
        case malformed
    }

    private struct Slot: Sendable {
        var sequence: UInt64
        var rtpTimestamp: UInt32
        var arrival: Timestamp
        var content: Content

        /// Media that does not start a frame: the stream's head must not start there.
        var continuesFrame: Bool {
            if case .media(let fragment) = content { return !fragment.isFrameStart }
            return false
        }
    }

    public let configuration: Configuration
    public private(set) var statistics = JitterStatistics()
    /// How long a gap is waited for: `maxDelay`, or longer while repairs can still arrive.
    public private(set) var gapWait: Duration

    private var assembler: FrameAssembler
    private var unwrapper = SequenceUnwrapper()
    /// Indexed by extended sequence number modulo a power of two: it starts small and doubles whenever the
    /// held packets span more slots than it has, up to `fullSize`, the least power of two at least `capacity`.
    /// A video stream allocating all 512 slots up front held ~28 KB per participant it never used.
    private var slots: [Slot?]
    private var mask: Int
    private let fullSize: Int
    static let initialSlots = 64
    private var heldCount = 0
    /// The next sequence number to release; nil before the first packet.
    private var head: UInt64?
    /// Nothing released yet since the (re)start: `head` may still move back.
    private var isStarting = true
    private var startDeadline: Timestamp?
    /// When the head has been missing long enough; nil while the head is not missing.
    private var gapDeadline: Timestamp?
    private var lastKeyframeRequest: Timestamp?
    /// The first keyframe request that no keyframe has answered yet.
    private var unansweredKeyframeRequest: Timestamp?
    private var outputs: [JitterOutput] = []
    private var outputIndex = 0
    private var events: [FrameAssembler.Event] = []

    public init(depacketizer: any Depacketizer, configuration: Configuration) {
        self.configuration = configuration
        gapWait = configuration.gapWait(roundTrip: .assumed)
        assembler = FrameAssembler(depacketizer: depacketizer)
        var size = 1
        while size < configuration.capacity { size <<= 1 }
        fullSize = size
        let initial = min(size, JitterBuffer.initialSlots)
        slots = Array(repeating: nil, count: initial)
        mask = initial - 1
    }

    /// How many slots the ring has now.
    var slotCount: Int { slots.count }

    private var isVideo: Bool { assembler.depacketizer.isVideo }

    /// Sets the wait for gaps from the measured round trip; takes effect from the next gap.
    public mutating func updateRoundTrip(_ roundTrip: RoundTrip) {
        gapWait = configuration.gapWait(roundTrip: roundTrip)
    }

    /// When `poll(at:)` next has something to do without a new packet.
    public var nextDeadline: Timestamp? {
        guard heldCount > 0 else { return nil }
        return isStarting ? startDeadline : gapDeadline
    }

    public mutating func push(_ packet: RTPPacket, at time: Timestamp) {
        statistics.packetsReceived += 1
        let content: Content
        if packet.payload.isEmpty {
            content = .padding
        } else if let fragment = try? assembler.depacketizer.fragment(of: packet) {
            content = .media(fragment)
        } else {
            statistics.malformed += 1
            content = .malformed
        }
        let sequence = unwrapper.unwrap(packet.sequenceNumber)

        guard let currentHead = head else {
            start(at: sequence, content: content, reason: "stream start", time: time)
            store(Slot(sequence: sequence, rtpTimestamp: packet.timestamp, arrival: time, content: content))
            release(at: time)
            return
        }
        if sequence < currentHead {
            let behind = currentHead - sequence
            if behind > UInt64(configuration.restartDistance) {
                restart(at: sequence, content: content, time: time)
            } else if isStarting, let highest = unwrapper.highest,
                highest - sequence < UInt64(configuration.capacity)
            {
                head = sequence  // an earlier packet of the stream's first frame, reordered
            } else {
                statistics.late += 1
                return
            }
        } else if sequence - currentHead > UInt64(configuration.restartDistance) {
            restart(at: sequence, content: content, time: time)
        } else if sequence - currentHead >= UInt64(configuration.capacity) {
            advance(to: sequence - UInt64(configuration.capacity) + 1, at: time)
        }

        if slots[Int(truncatingIfNeeded: sequence) & mask]?.sequence == sequence {
            statistics.duplicates += 1
            return
        }
        store(Slot(sequence: sequence, rtpTimestamp: packet.timestamp, arrival: time, content: content))
        release(at: time)
    }

    /// The next output, after acting on any deadline that has passed; nil when there is none.
    public mutating func poll(at time: Timestamp) -> JitterOutput? {
        if outputIndex == outputs.count {
            if isStarting, let startDeadline, heldCount > 0, time >= startDeadline {
                isStarting = false
                release(at: time)
            }
            while !isStarting, let gapDeadline, time >= gapDeadline, let next = nextHeldSequence() {
                advance(to: next, at: time)
                release(at: time)
            }
        }
        guard outputIndex < outputs.count else { return nil }
        let output = outputs[outputIndex]
        outputIndex += 1
        if outputIndex == outputs.count {
            outputs.removeAll(keepingCapacity: true)
            outputIndex = 0
        }
        return output
    }

    // MARK: - Internals

    private mutating func start(at sequence: UInt64, content: Content, reason: String, time: Timestamp) {
        head = sequence
        isStarting = true
        startDeadline = time + configuration.maxDelay
        gapDeadline = nil
        guard isVideo else { return }
        if case .media(let fragment) = content, fragment.isFrameStart, fragment.isKeyframe { return }
        requestKeyframe(reason: reason, at: time)
    }

    private mutating func restart(at sequence: UInt64, content: Content, time: Timestamp) {
        statistics.restarts += 1
        for index in slots.indices where slots[index] != nil { slots[index] = nil }
        heldCount = 0
        assembler.reset(into: &events)
        drainEvents(at: time)
        start(at: sequence, content: content, reason: "stream restart", time: time)
    }

    private mutating func store(_ slot: Slot) {
        // Every held packet lies between the head and the highest sequence seen (the head may have just
        // moved back for a reordered start); each needs a slot of its own.
        makeRoom(through: max(slot.sequence, unwrapper.highest ?? slot.sequence))
        slots[Int(truncatingIfNeeded: slot.sequence) & mask] = slot
        heldCount += 1
    }

    private mutating func makeRoom(through sequence: UInt64) {
        guard slots.count < fullSize, let head, sequence >= head else { return }
        let span = sequence - head + 1
        guard span > UInt64(slots.count) else { return }
        var size = slots.count
        while UInt64(size) < span, size < fullSize { size <<= 1 }
        var grown = [Slot?](repeating: nil, count: size)
        for case let held? in slots { grown[Int(truncatingIfNeeded: held.sequence) & (size - 1)] = held }
        slots = grown
        mask = size - 1
    }

    /// Releases packets from the head while they are present.
    private mutating func release(at time: Timestamp) {
        guard var sequence = head else { return }
        while heldCount > 0 {
            let index = Int(truncatingIfNeeded: sequence) & mask
            // Slots are read in place and taken out when released: a slot copied out of the ring retains
            // its payload's buffer once more (and the ring's copy is released at once after).
            guard slots[index]?.sequence == sequence else { break }
            if isStarting {
                if slots[index]?.continuesFrame == true, isVideo, let startDeadline, time < startDeadline {
                    break
                }
                isStarting = false
            }
            guard let slot = slots[index].take() else { break }
            heldCount -= 1
            sequence += 1
            hand(slot, at: time)
        }
        if gapDeadline == nil || head != sequence {
            gapDeadline = heldCount > 0 && !isStarting ? oldestArrival().map { $0 + gapWait } : nil
        }
        head = sequence
    }

    /// Moves the head to `target`, releasing held packets and declaring the rest lost.
    private mutating func advance(to target: UInt64, at time: Timestamp) {
        guard var sequence = head, target > sequence else { return }
        var missing = 0
        isStarting = false
        while sequence < target {
            let index = Int(truncatingIfNeeded: sequence) & mask
            if slots[index]?.sequence == sequence, let slot = slots[index].take() {
                if missing > 0 {
                    declareLost(missing, at: time)
                    missing = 0
                }
                heldCount -= 1
                hand(slot, at: time)
            } else {
                missing += 1
            }
            sequence += 1
        }
        if missing > 0 { declareLost(missing, at: time) }
        head = sequence
        gapDeadline = nil
    }

    private mutating func hand(_ slot: Slot, at time: Timestamp) {
        switch slot.content {
        case .media(let fragment):
            assembler.push(
                fragment, rtpTimestamp: slot.rtpTimestamp, sequence: slot.sequence, at: slot.arrival,
                into: &events)
            drainEvents(at: time)
        case .padding:
            break
        case .malformed:
            assembler.packetsLost(into: &events)
            drainEvents(at: time)
            if isVideo { requestKeyframe(reason: "malformed packet \(slot.sequence & 0xFFFF)", at: time) }
        }
    }

    private mutating func declareLost(_ count: Int, at time: Timestamp) {
        statistics.lost += count
        outputs.append(.lost(count: count))
        assembler.packetsLost(into: &events)
        drainEvents(at: time)
        if isVideo { requestKeyframe(reason: "lost \(count) packet\(count == 1 ? "" : "s")", at: time) }
    }

    private mutating func drainEvents(at time: Timestamp) {
        for event in events {
            switch event {
            case .frame(let frame):
                statistics.framesEmitted += 1
                if frame.isKeyframe { unansweredKeyframeRequest = nil }
                outputs.append(.frame(frame))
            case .dropped(let awaitingKeyframe):
                statistics.framesDropped += 1
                if awaitingKeyframe { requestKeyframe(reason: "waiting for a keyframe", at: time) }
            }
        }
        events.removeAll(keepingCapacity: true)
        statistics.oversizedFrames = assembler.oversizedFrames
    }

    private mutating func requestKeyframe(reason: String, at time: Timestamp) {
        if let lastKeyframeRequest, time - lastKeyframeRequest < configuration.keyframeRequestInterval { return }
        lastKeyframeRequest = time
        statistics.keyframeRequests += 1
        if let asked = unansweredKeyframeRequest, time - asked >= configuration.fullIntraAfter {
            statistics.fullIntraRequests += 1
            outputs.append(.fullIntraNeeded(reason: reason))
        } else {
            if unansweredKeyframeRequest == nil { unansweredKeyframeRequest = time }
            outputs.append(.keyframeNeeded(reason: reason))
        }
    }

    private func nextHeldSequence() -> UInt64? {
        guard heldCount > 0, var sequence = head else { return nil }
        for _ in 0..<slots.count {
            if slots[Int(truncatingIfNeeded: sequence) & mask]?.sequence == sequence { return sequence }
            sequence += 1
        }
        return nil
    }

    private func oldestArrival() -> Timestamp? {
        guard var sequence = head else { return nil }
        var oldest: Timestamp?
        var found = 0
        while found < heldCount, sequence - (head ?? sequence) < UInt64(slots.count) {
            let index = Int(truncatingIfNeeded: sequence) & mask
            if slots[index]?.sequence == sequence, let arrival = slots[index]?.arrival {
                found += 1
                if oldest.map({ arrival < $0 }) ?? true { oldest = arrival }
            }
            sequence += 1
        }
        return oldest
    }
}
