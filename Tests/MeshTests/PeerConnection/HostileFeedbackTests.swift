import Testing

@testable import Mesh

/// A connected peer's RTCP feedback, authenticated but absurd, must cost a bounded amount and never deafen the connection.
@Suite struct HostileFeedbackTests {
    private func ssrcs(in sdp: String) -> [UInt32] {
        sdp.components(separatedBy: "\r\n").filter { $0.hasPrefix("a=ssrc:") }
            .compactMap { UInt32($0.dropFirst("a=ssrc:".count).prefix { $0.isNumber }) }
    }

    /// A NACK naming 300 × 17 lost packets, as a hostile peer sends it.
    private func hugeNack(sender: UInt32, media: UInt32, base: UInt16) -> [UInt8] {
        var bytes: [UInt8] = [0x80, 201, 0, 1]
        bytes += [UInt8(sender >> 24), UInt8(truncatingIfNeeded: sender >> 16), UInt8(truncatingIfNeeded: sender >> 8), UInt8(truncatingIfNeeded: sender)]
        let words = 2 + 300
        bytes += [0x81, 205, UInt8(words >> 8), UInt8(truncatingIfNeeded: words)]
        for value in [sender, media] {
            bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
        }
        for index in 0..<300 {
            let id = base &+ UInt16(truncatingIfNeeded: index * 17)
            bytes += [UInt8(id >> 8), UInt8(truncatingIfNeeded: id), 0xFF, 0xFF]
        }
        return bytes
    }

    @Test func aFloodOfHugeNacksLeavesTheConnectionAlive() throws {
        var pair = try PeerPair(offererSendsMedia: true)
        pair.run(for: .seconds(5)) { $0.offererEvents.connected && $0.answererEvents.connected }
        #expect(pair.offererEvents.connected && pair.answererEvents.connected)
        let targets = ssrcs(in: pair.offerer.localDescription)
        #expect(!targets.isEmpty)
        let session = try #require(pair.answerer.srtpOutbound)
        var timestamp: UInt32 = 0
        let floodStart = pair.now
        for round in 0..<300 {
            pair.offerer.sendFrame([0x10, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00] + Array(repeating: 7, count: 3000),
                                   kind: .video, rtpTimestamp: timestamp, at: pair.now)
            pair.offerer.sendFrame([0xF8, 0xFF, 0xFE], kind: .audio, rtpTimestamp: timestamp, at: pair.now)
            timestamp &+= 3000
            for target in targets {
                var bytes = hugeNack(sender: 1, media: target, base: UInt16(truncatingIfNeeded: round * 100))
                try session.protectRTCP(&bytes)
                pair.offerer.handleDatagram(bytes, from: pair.answererAddress, at: pair.now)
            }
            pair.run(for: .milliseconds(30))
        }
        let floodSeconds = Int((pair.now - floodStart).secondsValue.rounded(.up))
        pair.run(for: .seconds(20))
        // Looked up: within the budget; the rest refused, counted.
        let statistics = pair.offerer.statistics
        #expect(statistics.repair.packetsAskedOfUs <= RetransmissionBudget.perSecond * (floodSeconds + 1),
                "looked up \(statistics.repair.packetsAskedOfUs) in \(floodSeconds) s")
        #expect(statistics.nackedSequenceNumbersRefused > 1_000_000, "refused \(statistics.nackedSequenceNumbersRefused)")
        let ends = pair.offererEvents.filter { if case .closed = $0 { true } else if case .failed = $0 { true } else { false } }
        #expect(ends.isEmpty, "the offerer's connection ended: \(ends)")
        let answererEnds = pair.answererEvents.filter { if case .closed = $0 { true } else if case .failed = $0 { true } else { false } }
        #expect(answererEnds.isEmpty, "the answerer's connection ended: \(answererEnds)")
    }
}

@Suite struct RetransmissionBudgetTests {
    @Test func theBudgetRefillsWithTimeAndNeverBeyondOneSecondsWorth() {
        var budget = RetransmissionBudget()
        let start = Timestamp.seconds(10)
        var taken = false
        taken = budget.take(RetransmissionBudget.perSecond, at: start)
        #expect(taken)
        taken = budget.take(1, at: start)
        #expect(!taken)
        taken = budget.take(RetransmissionBudget.perSecond / 2, at: start + .milliseconds(500))
        #expect(taken)
        taken = budget.take(RetransmissionBudget.perSecond, at: start + .milliseconds(500))
        #expect(!taken)
        // A long silence refills one second's worth, no more.
        taken = budget.take(RetransmissionBudget.perSecond, at: start + .seconds(3600))
        #expect(taken)
        taken = budget.take(1, at: start + .seconds(3600))
        #expect(!taken)
    }
}
