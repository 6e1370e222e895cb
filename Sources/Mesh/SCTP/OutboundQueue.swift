/// The sending half of an association: TSN and SSN assignment, what is in flight, what the
/// peer acknowledged, and when to resend (RFC 4960 sections 6 and 7).
///
/// Messages are cut into DATA chunks and given TSNs when queued, so one TSN order covers
/// everything and a stream reset can name the last TSN it must wait for.
struct OutboundQueue {
    struct Entry {
        var data: ChunkPayloadData
        var lastSent: Timestamp?
        var transmissions = 0
        var gapAcked = false
        var missIndications = 0
        var needsRetransmit = false
        var fastRetransmitted = false
        /// Counted in `flightSize` now.
        var inFlight = false

        var size: Int { data.userData.count }
    }

    let mtu: Int
    private(set) var nextTSN: UInt32
    /// Entries from the first TSN the peer has not acknowledged cumulatively.
    private var entries: [Entry] = []
    private var head = 0
    /// Index of the first entry never sent.
    private var nextUnsent = 0
    private var streamSSN: [UInt16: UInt16] = [:]
    private var retransmitsPending = 0
    private var fastRetransmitPending = false

    private(set) var flightSize = 0
    private(set) var congestionWindow: Int
    private var slowStartThreshold: Int
    private var partialBytesAcked = 0
    private(set) var peerReceiveWindow: Int
    private var fastRecoveryExit: UInt32?
    private(set) var rto = RetransmissionTimeout()
    private(set) var retransmissionDeadline: Timestamp?
    /// T3 expiries since the peer last acknowledged something new (RFC 4960 8.2).
    private(set) var consecutiveTimeouts = 0
    /// User bytes queued and not yet acknowledged, for the owner's back-pressure.
    private(set) var bufferedAmount = 0

    init(initialTSN: UInt32, mtu: Int, peerReceiveWindow: Int) {
        nextTSN = initialTSN
        self.mtu = mtu
        congestionWindow = min(4 * mtu, max(2 * mtu, 4380))
        slowStartThreshold = peerReceiveWindow
        self.peerReceiveWindow = peerReceiveWindow
    }

    var isEmpty: Bool { head == entries.count }
    var lastAssignedTSN: UInt32 { nextTSN &- 1 }
    var cumulativeAckTSN: UInt32 { head < entries.count ? entries[head].data.tsn &- 1 : nextTSN &- 1 }

    mutating func setPeerReceiveWindow(_ window: Int) {
        peerReceiveWindow = window
        slowStartThreshold = window
    }

    mutating func enqueue(streamID: UInt16, ppid: UInt32, bytes: [UInt8], ordered: Bool, maxFragment: Int) {
        let ssn = ordered ? streamSSN[streamID, default: 0] : 0
        if ordered { streamSSN[streamID] = ssn &+ 1 }
        var offset = 0
        repeat {
            let end = min(offset + maxFragment, bytes.count)
            entries.append(
                Entry(
                    data: ChunkPayloadData(
                        tsn: nextTSN, streamIdentifier: streamID, streamSequenceNumber: ssn,
                        payloadProtocolIdentifier: ppid, userData: Array(bytes[offset..<end]), unordered: !ordered,
                        beginning: offset == 0, ending: end == bytes.count)))
            nextTSN &+= 1
            offset = end
        } while offset < bytes.count
        bufferedAmount += bytes.count
    }

    /// RFC 6525: after a performed reset the stream's sequence numbers start again at 0.
    mutating func resetStreams(_ ids: [UInt16]) {
        for id in ids { streamSSN[id] = nil }
    }

    /// The next chunk to put in a packet with `room` bytes left, if congestion and flow control allow.
    mutating func nextChunk(room: Int, at now: Timestamp) -> ChunkPayloadData? {
        if retransmitsPending > 0 {
            let bypass = fastRetransmitPending
            if bypass || flightSize < congestionWindow {
                for index in head..<nextUnsent where entries[index].needsRetransmit {
                    guard entries[index].size + ChunkPayloadData.headerSize <= room else { return nil }
                    retransmitsPending -= 1
                    entries[index].needsRetransmit = false
                    return transmit(at: index, now: now)
                }
            }
            return nil
        }
        fastRetransmitPending = false
        guard nextUnsent < entries.count else { return nil }
        let size = entries[nextUnsent].size
        // With nothing in flight one chunk always goes, probing a closed window (RFC 4960 6.1 rule A).
        guard flightSize == 0 || (flightSize < congestionWindow && size <= peerReceiveWindow) else { return nil }
        guard size + ChunkPayloadData.headerSize <= room else { return nil }
        nextUnsent += 1
        return transmit(at: nextUnsent - 1, now: now)
    }

    private mutating func transmit(at index: Int, now: Timestamp) -> ChunkPayloadData {
        entries[index].transmissions += 1
        entries[index].lastSent = now
        if !entries[index].inFlight {
            entries[index].inFlight = true
            flightSize += entries[index].size
        }
        peerReceiveWindow = max(0, peerReceiveWindow - entries[index].size)
        if retransmissionDeadline == nil { retransmissionDeadline = now + rto.value }
        return entries[index].data
    }

    /// Applies a SACK (RFC 4960 6.2.1, 7.2). Returns false for one older than what we know.
    mutating func acknowledge(_ sack: ChunkSelectiveAck, at now: Timestamp) -> Bool {
        let cumulative = sack.cumulativeTSNAck
        guard !Serial.less(cumulative, cumulativeAckTSN), Serial.less(cumulative, nextTSN) else { return false }
        var newlyAcked = 0
        var advanced = false
        var rttSample: Duration?
        while head < nextUnsent, Serial.lessOrEqual(entries[head].data.tsn, cumulative) {
            let entry = entries[head]
            if !entry.gapAcked { newlyAcked += entry.size }
            if entry.inFlight { flightSize -= entry.size }
            if entry.needsRetransmit { retransmitsPending -= 1 }
            // Karn: only chunks sent once give an unambiguous round trip.
            if entry.transmissions == 1, let sent = entry.lastSent { rttSample = now - sent }
            bufferedAmount -= entry.size
            head += 1
            advanced = true
        }
        compact()
        if let rttSample { rto.measured(rttSample) }

        var highestGapAcked: UInt32?
        for block in sack.gapAckBlocks {
            let start = cumulative &+ UInt32(block.start)
            let end = cumulative &+ UInt32(block.end)
            highestGapAcked = end
            var tsn = start
            while let index = index(of: tsn), index < nextUnsent {
                if !entries[index].gapAcked {
                    entries[index].gapAcked = true
                    newlyAcked += entries[index].size
                    if entries[index].inFlight {
                        entries[index].inFlight = false
                        flightSize -= entries[index].size
                    }
                    if entries[index].needsRetransmit {
                        entries[index].needsRetransmit = false
                        retransmitsPending -= 1
                    }
                }
                if tsn == end { break }
                tsn &+= 1
            }
        }

        if let exit = fastRecoveryExit, Serial.lessOrEqual(exit, cumulative) { fastRecoveryExit = nil }
        if let highestGapAcked { countMissing(below: highestGapAcked) }

        if advanced && fastRecoveryExit == nil {
            if congestionWindow <= slowStartThreshold {
                congestionWindow += min(newlyAcked, mtu)
            } else {
                partialBytesAcked += newlyAcked
                if partialBytesAcked >= congestionWindow {
                    partialBytesAcked -= congestionWindow
                    congestionWindow += mtu
                }
            }
        }
        peerReceiveWindow = max(0, Int(sack.advertisedReceiverWindowCredit) - flightSize)
        if advanced {
            consecutiveTimeouts = 0
            retransmissionDeadline = flightSize > 0 || retransmitsPending > 0 ? now + rto.value : nil
        } else if flightSize == 0 && retransmitsPending == 0 {
            retransmissionDeadline = nil
        }
        return true
    }

    /// RFC 4960 7.2.4: three reports of a hole trigger a fast retransmit, once per chunk.
    private mutating func countMissing(below highest: UInt32) {
        var index = head
        while index < nextUnsent, Serial.less(entries[index].data.tsn, highest) {
            if !entries[index].gapAcked && !entries[index].needsRetransmit && !entries[index].fastRetransmitted {
                entries[index].missIndications += 1
                if entries[index].missIndications >= 3 {
                    entries[index].fastRetransmitted = true
                    markForRetransmit(index)
                    fastRetransmitPending = true
                    if fastRecoveryExit == nil {
                        slowStartThreshold = max(congestionWindow / 2, 4 * mtu)
                        congestionWindow = slowStartThreshold
                        partialBytesAcked = 0
                        fastRecoveryExit = lastSentTSN
                    }
                }
            }
            index += 1
        }
    }

    /// RFC 4960 6.3.3: the T3-rtx timer expired; everything outstanding goes again, slowly.
    mutating func retransmissionTimerExpired(at now: Timestamp) {
        consecutiveTimeouts += 1
        rto.backOff()
        slowStartThreshold = max(congestionWindow / 2, 4 * mtu)
        congestionWindow = mtu
        partialBytesAcked = 0
        fastRecoveryExit = nil
        var marked = false
        for index in head..<nextUnsent where !entries[index].gapAcked && !entries[index].needsRetransmit {
            markForRetransmit(index)
            marked = true
        }
        if !marked {
            // Only gap-acked chunks remain yet the cumulative ack is stuck: the peer may have
            // dropped them (reneged), so they go again too.
            for index in head..<nextUnsent where !entries[index].needsRetransmit {
                entries[index].gapAcked = false
                markForRetransmit(index)
            }
        }
        retransmissionDeadline = head < nextUnsent ? now + rto.value : nil
    }

    private mutating func markForRetransmit(_ index: Int) {
        entries[index].needsRetransmit = true
        retransmitsPending += 1
        if entries[index].inFlight {
            entries[index].inFlight = false
            flightSize -= entries[index].size
        }
    }

    private var lastSentTSN: UInt32 { nextUnsent > head ? entries[nextUnsent - 1].data.tsn : cumulativeAckTSN }

    private func index(of tsn: UInt32) -> Int? {
        guard head < entries.count else { return nil }
        let offset = Int(tsn &- entries[head].data.tsn)
        guard offset >= 0, offset < entries.count - head else { return nil }
        return head + offset
    }

    private mutating func compact() {
        guard head > 1024, head * 2 > entries.count else { return }
        entries.removeFirst(head)
        nextUnsent -= head
        head = 0
    }
}
