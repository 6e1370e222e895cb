/// The receiving half of an association: which TSNs arrived (for SACKs), reassembly of
/// fragments into messages, and per-stream ordering.
///
/// RFC 4960 gives every fragment of a message consecutive TSNs, so a message is complete when
/// a run of held TSNs goes from a B fragment to an E fragment on one stream. Runs are kept by
/// their two ends, so a new fragment joins its neighbours in constant time and each fragment
/// is copied into its message once: reassembly is linear in the fragments received.
///
/// Everything held is bounded by `capacity`, and each fragment or waiting message is charged at
/// least `minimumCharge` bytes of it, so a flood of tiny fragments cannot multiply the
/// bookkeeping. Per-stream state is kept for at most `maximumStreams` streams.
struct InboundQueue {
    /// Roughly what holding one fragment or message costs besides its bytes.
    static let minimumCharge = 64
    /// Data channels use a handful of streams; this leaves room for any page.
    static let maximumStreams = 1024
    /// Duplicates reported per SACK; more between two SACKs are only counted.
    static let maximumDuplicates = 32

    struct Message: Equatable {
        var streamID: UInt16
        var ppid: UInt32
        var bytes: [UInt8]
    }

    private struct InboundStream {
        var nextSSN: UInt16 = 0
        /// Complete messages waiting for an earlier sequence number; nil for a refused one.
        var ready: [UInt16: Message?] = [:]
    }

    /// The cumulative TSN and the runs held above it, for SACKs.
    private var received: ReceivedTSNs
    /// The highest TSN up to which everything has arrived.
    var cumulativeTSN: UInt32 { received.cumulative }
    private var duplicates: [UInt32] = []
    /// Fragments of messages not yet complete, by TSN.
    private var fragments: [UInt32: ChunkPayloadData] = [:]
    /// Runs of consecutive held fragments that may belong to one message: first TSN to last, and back.
    private var runLast: [UInt32: UInt32] = [:]
    private var runFirst: [UInt32: UInt32] = [:]
    /// Fragments copied into messages; stays linear in the fragments received.
    private(set) var fragmentCopies = 0
    private var streams: [UInt16: InboundStream] = [:]
    /// Messages ready for the owner, in delivery order.
    private(set) var delivered: [Message] = []
    /// Bytes held in fragments and in messages waiting for an earlier sequence number.
    private(set) var bufferedBytes = 0

    let capacity: Int
    let maxMessageSize: Int
    /// Why a message was refused, for the owner to report.
    private(set) var refusals: [String] = []

    init(peerInitialTSN: UInt32, capacity: Int, maxMessageSize: Int) {
        // The window in TSNs: as many fragments as the buffer holds at the minimum charge, above the
        // one missing TSN that holds everything back; the buffer stays the tighter limit.
        received = ReceivedTSNs(
            cumulative: peerInitialTSN &- 1, window: UInt32(clamping: max(0, capacity / Self.minimumCharge) + 1))
        self.capacity = capacity
        self.maxMessageSize = maxMessageSize
    }

    var advertisedWindow: UInt32 { UInt32(clamping: max(0, capacity - bufferedBytes)) }
    var hasGaps: Bool { !received.isEmpty }
    /// Runs of TSNs held above the cumulative one: the gap ack blocks a full SACK would report.
    var heldRuns: Int { received.runs.count }
    var streamsWithState: Int { streams.count }

    private static func charge(_ byteCount: Int) -> Int { max(byteCount, minimumCharge) }

    enum Outcome: Equatable {
        case accepted
        case duplicate
        /// The receive buffer is full; the chunk is dropped unacknowledged, so the sender retries.
        case noRoom
        /// The TSN is further above the cumulative one than the buffer could ever hold; dropped
        /// unacknowledged like `noRoom`.
        case beyondWindow
    }

    mutating func receive(_ chunk: ChunkPayloadData) -> Outcome {
        let tsn = chunk.tsn
        switch received.classify(tsn) {
        case .duplicate:
            if duplicates.count < Self.maximumDuplicates { duplicates.append(tsn) }
            return .duplicate
        case .beyondWindow:
            return .beyondWindow
        case .new:
            break
        }
        guard bufferedBytes + Self.charge(chunk.userData.count) <= capacity else { return .noRoom }
        received.insert(tsn)
        fragments[tsn] = chunk
        bufferedBytes += Self.charge(chunk.userData.count)
        join(tsn, chunk)
        return .accepted
    }

    /// RFC 3758 3.6: the sender abandoned everything up to `newCumulativeTSN`.
    mutating func forward(_ chunk: ChunkForwardTSN) {
        guard received.forward(to: chunk.newCumulativeTSN) else { return }
        for (tsn, fragment) in fragments where Serial.lessOrEqual(tsn, chunk.newCumulativeTSN) {
            fragments[tsn] = nil
            bufferedBytes -= Self.charge(fragment.userData.count)
        }
        // Runs lose their abandoned start; what is left of one starts right after the new cumulative TSN.
        for (first, last) in runLast where Serial.lessOrEqual(first, chunk.newCumulativeTSN) {
            runLast[first] = nil
            if Serial.lessOrEqual(last, chunk.newCumulativeTSN) {
                runFirst[last] = nil
            } else {
                runLast[chunk.newCumulativeTSN &+ 1] = last
                runFirst[last] = chunk.newCumulativeTSN &+ 1
            }
        }
        for skipped in chunk.streams {
            guard streams[skipped.streamIdentifier] != nil || streams.count < Self.maximumStreams else { continue }
            var stream = streams[skipped.streamIdentifier] ?? InboundStream()
            if !Serial.less(skipped.streamSequenceNumber, stream.nextSSN) {
                // Messages at or before the skipped one that did arrive are still delivered.
                for ssn in stream.ready.keys where !Serial.less(skipped.streamSequenceNumber, ssn) {
                    if let entry = stream.ready.removeValue(forKey: ssn), let message = entry {
                        bufferedBytes -= Self.charge(message.bytes.count)
                        delivered.append(message)
                    }
                }
                stream.nextSSN = skipped.streamSequenceNumber &+ 1
            }
            streams[skipped.streamIdentifier] = stream
            deliverReady(on: skipped.streamIdentifier)
        }
    }

    /// RFC 6525 5.2.2: the peer's sequence numbers on these streams start again at 0. Messages
    /// still waiting for an earlier sequence number can never be delivered: their bytes are released.
    mutating func resetStreams(_ ids: [UInt16]) {
        for id in ids {
            guard let stream = streams.removeValue(forKey: id) else { continue }
            for case let message? in stream.ready.values { bufferedBytes -= Self.charge(message.bytes.count) }
        }
    }

    mutating func takeDelivered() -> [Message] {
        defer { delivered.removeAll() }
        return delivered
    }

    mutating func takeRefusals() -> [String] {
        defer { refusals.removeAll() }
        return refusals
    }

    /// A SACK for what is held now; consumes the duplicate list. Gap blocks are offsets of at
    /// most 16 bits from the cumulative TSN and are capped so the SACK fits a packet.
    mutating func makeSelectiveAck(maxGapBlocks: Int = 64, maxDuplicates: Int = 32) -> ChunkSelectiveAck {
        let sack = ChunkSelectiveAck(
            cumulativeTSNAck: cumulativeTSN, advertisedReceiverWindowCredit: advertisedWindow,
            gapAckBlocks: received.gapBlocks(limit: maxGapBlocks),
            duplicateTSNs: Array(duplicates.prefix(maxDuplicates)))
        duplicates.removeAll()
        return sack
    }

    /// Joins the new fragment to the runs ending just before and starting just after it, when
    /// they can be one message; assembles the run once it goes from a B to an E fragment.
    private mutating func join(_ tsn: UInt32, _ chunk: ChunkPayloadData) {
        var first = tsn
        var last = tsn
        if !chunk.beginning, let previous = fragments[tsn &- 1], previous.streamIdentifier == chunk.streamIdentifier,
           !previous.ending, let start = runFirst.removeValue(forKey: tsn &- 1)
        {
            first = start
        }
        if !chunk.ending, let next = fragments[tsn &+ 1], next.streamIdentifier == chunk.streamIdentifier,
           !next.beginning, let end = runLast.removeValue(forKey: tsn &+ 1)
        {
            last = end
        }
        guard let head = fragments[first], let tail = fragments[last], head.beginning, tail.ending else {
            runLast[first] = last
            runFirst[last] = first
            return
        }
        runLast[first] = nil
        runFirst[last] = nil
        var bytes: [UInt8] = []
        var released = 0
        var tsnInMessage = first
        while true {
            if let fragment = fragments.removeValue(forKey: tsnInMessage) {
                bytes.append(contentsOf: fragment.userData)
                released += Self.charge(fragment.userData.count)
                fragmentCopies += 1
            }
            if tsnInMessage == last { break }
            tsnInMessage &+= 1
        }
        bufferedBytes -= released
        let message = Message(streamID: head.streamIdentifier, ppid: head.payloadProtocolIdentifier, bytes: bytes)
        if bytes.count > maxMessageSize {
            refusals.append(
                "message of \(bytes.count) bytes on stream \(head.streamIdentifier) exceeds the maximum of \(maxMessageSize)")
            // The sequence number is still used up, or the stream would stall behind it.
            if !head.unordered { place(nil, ssn: head.streamSequenceNumber, stream: head.streamIdentifier) }
            return
        }
        if head.unordered {
            delivered.append(message)
        } else {
            place(message, ssn: head.streamSequenceNumber, stream: head.streamIdentifier)
        }
    }

    private mutating func place(_ message: Message?, ssn: UInt16, stream id: UInt16) {
        guard streams[id] != nil || streams.count < Self.maximumStreams else {
            refusals.append("message on stream \(id) refused: already \(Self.maximumStreams) streams with state")
            return
        }
        var stream = streams[id] ?? InboundStream()
        if let message { bufferedBytes += Self.charge(message.bytes.count) }
        stream.ready[ssn] = .some(message)
        streams[id] = stream
        deliverReady(on: id)
    }

    private mutating func deliverReady(on id: UInt16) {
        guard var stream = streams[id] else { return }
        while let entry = stream.ready.removeValue(forKey: stream.nextSSN) {
            if let message = entry {
                bufferedBytes -= Self.charge(message.bytes.count)
                delivered.append(message)
            }
            stream.nextSSN &+= 1
        }
        streams[id] = stream
    }
}
