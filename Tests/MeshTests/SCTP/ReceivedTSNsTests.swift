import Testing

@testable import Mesh

/// The runs of received TSNs behind every SACK: the same answers as a plain set of TSNs, and bounded
/// whatever holes a peer leaves.
@Suite struct ReceivedTSNsTests {
    /// The reference: every TSN that arrived, and the cumulative TSN walked one by one.
    private struct Model {
        var cumulative: UInt32
        var held: Set<UInt32> = []
        let window: UInt32

        mutating func insert(_ tsn: UInt32) -> ReceivedTSNs.Outcome {
            let distance = tsn &- cumulative
            if distance == 0 || distance > UInt32(Int32.max) || held.contains(tsn) { return .duplicate }
            if distance > window { return .beyondWindow }
            held.insert(tsn)
            while held.remove(cumulative &+ 1) != nil { cumulative &+= 1 }
            return .new
        }

        mutating func forward(to tsn: UInt32) {
            let distance = tsn &- cumulative
            guard distance != 0, distance <= UInt32(Int32.max) else { return }
            cumulative = tsn
            held = held.filter { $0 &- tsn != 0 && $0 &- tsn <= UInt32(Int32.max) }
            while held.remove(cumulative &+ 1) != nil { cumulative &+= 1 }
        }

        /// Gap blocks the way the old code made them: sort every held offset and group consecutive ones.
        func gapBlocks(limit: Int) -> [ChunkSelectiveAck.GapAckBlock] {
            let offsets = held.map { $0 &- cumulative }.filter { $0 <= UInt32(UInt16.max) }.sorted()
            var blocks: [ChunkSelectiveAck.GapAckBlock] = []
            var index = 0
            while index < offsets.count, blocks.count < limit {
                var end = offsets[index]
                let start = end
                while index + 1 < offsets.count, offsets[index + 1] == end + 1 {
                    index += 1
                    end += 1
                }
                blocks.append(.init(start: UInt16(start), end: UInt16(end)))
                index += 1
            }
            return blocks
        }
    }

    @Test(arguments: [UInt32(0), 1, 0xFFFF_FF00, 0x7FFF_FFF0])
    func agreesWithASetOfTSNsThroughWraparoundAndForwardTSN(start: UInt32) {
        var random = SplitMix64(seed: UInt64(start) &+ 11)
        var runs = ReceivedTSNs(cumulative: start, window: 300)
        var model = Model(cumulative: start, window: 300)
        for step in 0..<20_000 {
            let roll = random.next() % 100
            if roll < 2 {
                let target = model.cumulative &+ UInt32(random.next() % 200)
                _ = runs.forward(to: target)
                model.forward(to: target)
            } else {
                // Mostly just above the cumulative TSN, sometimes below it or beyond the window.
                let tsn = model.cumulative &+ UInt32(truncatingIfNeeded: Int(random.next() % 420) - 60)
                #expect(runs.insert(tsn) == model.insert(tsn), "step \(step), TSN \(tsn)")
            }
            #expect(runs.cumulative == model.cumulative, "step \(step)")
            if step % 97 == 0 {
                #expect(runs.gapBlocks(limit: 64) == model.gapBlocks(limit: 64), "step \(step)")
            }
        }
        #expect(runs.gapBlocks(limit: 1_000) == model.gapBlocks(limit: 1_000))
        #expect(runs.runs.map { Int($0.last &- $0.first) + 1 }.reduce(0, +) == model.held.count)
    }

    @Test func aPeerLeavingAHoleAtEveryOtherTSNIsHeldToTheWindow() {
        // Each DATA chunk is a whole message, delivered at once and its bytes released, so only the
        // TSN bookkeeping grows: before the window it grew with every chunk the peer sent.
        var queue = InboundQueue(peerInitialTSN: 1, capacity: 1 << 20, maxMessageSize: 1 << 16)
        var outcomes: [InboundQueue.Outcome: Int] = [:]
        for tsn in stride(from: UInt32(2), through: 400_000, by: 2) {
            let chunk = ChunkPayloadData(tsn: tsn, streamIdentifier: 1, streamSequenceNumber: 0,
                                         payloadProtocolIdentifier: 51, userData: [1], unordered: true)
            outcomes[queue.receive(chunk), default: 0] += 1
        }
        let window = (1 << 20) / InboundQueue.minimumCharge
        #expect(outcomes[.accepted] == window / 2)
        #expect(outcomes[.beyondWindow] == 200_000 - window / 2)
        #expect(queue.bufferedBytes == 0)
        #expect(queue.heldRuns == window / 2)
        let sack = queue.makeSelectiveAck()
        #expect(sack.gapAckBlocks.count == 64)
        #expect(sack.cumulativeTSNAck == 0)
    }
}
