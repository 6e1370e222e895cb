import Testing

@testable import Mesh

/// Absolute arrivals from feedback that went over the wire, by unwrapped sequence number.
private func decode(_ feedback: [TransportWideCongestionControl]) throws -> [(UInt16, Duration)] {
    try feedback.flatMap { try TransportWideCongestionControl.parse($0.serialize()).arrivals }
}

@Suite struct TransportWideFeedbackBuilderTests {
    @Test func nothingIsDueBeforeThePacketsArrive() {
        var builder = TransportWideFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2)
        #expect(builder.nextDeadline == nil)
        #expect(builder.feedback(at: .seconds(5)).isEmpty)
        builder.record(transportSequenceNumber: 7, arrival: .milliseconds(1000))
        #expect(builder.nextDeadline?.at == .milliseconds(1100))
        #expect(builder.feedback(at: .milliseconds(1099)).isEmpty)
        #expect(builder.feedback(at: .milliseconds(1100)).count == 1)
        #expect(builder.nextDeadline == nil)
    }

    @Test func feedbackParsesBackToTheArrivalTimes() throws {
        var builder = TransportWideFeedbackBuilder(senderSSRC: 1, mediaSSRC: 0xabcd)
        // 300 packets from 65400, wrapping at 65535, every 3.3 ms with jitter, some lost,
        // some swapped with their successor.
        var sent: [(UInt16, Timestamp)] = []
        var lcg: UInt64 = 99
        for index in 0..<300 {
            lcg = lcg &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let sequence = UInt16(truncatingIfNeeded: 65400 + index)
            if lcg >> 60 == 0 { continue }  // about 1 in 16 lost
            let arrival = Timestamp(nanoseconds: 5_000_000_000 + Int64(index) * 3_300_000 + Int64(lcg >> 44) * 100)
            sent.append((sequence, arrival))
        }
        for index in stride(from: 10, to: sent.count - 1, by: 25) { sent.swapAt(index, index + 1) }

        var feedback: [TransportWideCongestionControl] = []
        for (sequence, arrival) in sent {
            if let deadline = builder.nextDeadline, deadline.at <= arrival {
                feedback += builder.feedback(at: deadline.at)
            }
            builder.record(transportSequenceNumber: sequence, arrival: arrival)
        }
        feedback += builder.flush(at: .seconds(7))

        #expect(feedback.count >= 9)
        #expect(feedback.map(\.feedbackPacketCount) == (0..<feedback.count).map { UInt8($0) })
        #expect(feedback.allSatisfy { $0.mediaSSRC == 0xabcd && $0.senderSSRC == 1 })
        let decoded = try decode(feedback)
        let expected = Dictionary(sent.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        // Late packets make their neighbours be reported again, so some appear twice.
        #expect(decoded.count >= sent.count)
        #expect(Set(decoded.map(\.0)) == Set(expected.keys))
        for (sequence, arrival) in decoded {
            let actual = try #require(expected[sequence])
            let error = actual.nanoseconds - arrival.nanoseconds
            #expect(error >= 0 && error < 250_000, "sequence \(sequence) off by \(error) ns")
        }
        // Whatever was reported missing was lost, or arrived late and was reported later.
        var received = Set<UInt16>()
        for packet in feedback.reversed() {
            for (index, status) in packet.statuses.enumerated() {
                let sequence = packet.baseSequenceNumber &+ UInt16(index)
                if status == .notReceived {
                    #expect(expected[sequence] == nil || received.contains(sequence), "\(sequence)")
                } else {
                    received.insert(sequence)
                }
            }
        }
    }

    @Test func referenceTimeCountsSixtyFourMilliseconds() throws {
        var builder = TransportWideFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2)
        builder.record(transportSequenceNumber: 1, arrival: .milliseconds(64 * 1000 + 63))
        builder.record(transportSequenceNumber: 2, arrival: .milliseconds(64 * 1000 + 70))
        let feedback = builder.flush(at: .seconds(70))
        #expect(feedback.count == 1)
        #expect(feedback[0].referenceTime == 1000)
        // 63 ms then 7 ms after the reference, in 250 µs ticks.
        #expect(feedback[0].statuses == [.received(delta: 252), .received(delta: 28)])
    }

    @Test func negativeDeltasFromReorderingUseTwoBytes() throws {
        var builder = TransportWideFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2)
        builder.record(transportSequenceNumber: 11, arrival: .milliseconds(1))
        builder.record(transportSequenceNumber: 10, arrival: .milliseconds(2))
        let feedback = builder.flush(at: .seconds(1))
        #expect(feedback.map(\.baseSequenceNumber) == [10])
        #expect(feedback[0].statuses == [.received(delta: 8), .received(delta: -4)])
        #expect(try TransportWideCongestionControl.parse(feedback[0].serialize()) == feedback[0])
    }

    @Test func aGapTooLongForOneDeltaStartsANewPacket() throws {
        var builder = TransportWideFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2)
        builder.record(transportSequenceNumber: 1, arrival: .milliseconds(0))
        builder.record(transportSequenceNumber: 2, arrival: .milliseconds(10_000))
        let feedback = builder.flush(at: .seconds(10))
        #expect(feedback.map(\.baseSequenceNumber) == [1, 2])
        #expect(feedback.map(\.referenceTime) == [0, 156])
        let decoded = try decode(feedback)
        #expect(decoded.map(\.1) == [.milliseconds(0), .milliseconds(10_000)])
    }

    @Test func aLatePacketIsReportedWithItsAlreadyReportedNeighbours() throws {
        var builder = TransportWideFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2)
        builder.record(transportSequenceNumber: 1, arrival: .milliseconds(10))
        builder.record(transportSequenceNumber: 2, arrival: .milliseconds(20))
        builder.record(transportSequenceNumber: 4, arrival: .milliseconds(30))
        let first = builder.flush(at: .milliseconds(100))
        #expect(first[0].statuses.count == 4)
        #expect(first[0].statuses[2] == .notReceived)

        builder.record(transportSequenceNumber: 3, arrival: .milliseconds(150))
        builder.record(transportSequenceNumber: 5, arrival: .milliseconds(160))
        let second = builder.flush(at: .milliseconds(200))
        #expect(second.map(\.baseSequenceNumber) == [3])
        #expect(try decode(second).map(\.0) == [3, 4, 5])
        #expect(try decode(second).map(\.1) == [.milliseconds(150), .milliseconds(30), .milliseconds(160)])
    }

    @Test func duplicatesKeepTheFirstArrival() throws {
        var builder = TransportWideFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2)
        builder.record(transportSequenceNumber: 1, arrival: .milliseconds(10))
        builder.record(transportSequenceNumber: 1, arrival: .milliseconds(20))
        #expect(try decode(builder.flush(at: .seconds(1))).map(\.1) == [.milliseconds(10)])
    }

    @Test func longRunsSplitIntoBoundedPackets() throws {
        var builder = TransportWideFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2)
        for index in 0..<1000 {
            builder.record(
                transportSequenceNumber: UInt16(index), arrival: Timestamp(nanoseconds: Int64(index) * 100_000))
        }
        let feedback = builder.flush(at: .seconds(1))
        #expect(feedback.count == 3)
        #expect(feedback.allSatisfy { $0.serialize().count <= 1200 })
        #expect(try decode(feedback).count == 1000)
    }
}
