import Mesh
import Testing
@testable import Recorder

/// How long video waits for retransmissions, and how it asks for a keyframe when they do not come.
@Suite struct JitterRepairWaitTests {
    typealias Stream = JitterBufferTests.Stream
    static func ms(_ value: Int64) -> Timestamp { .milliseconds(value) }

    @Test func theWaitFollowsTheRoundTripWithinBounds() {
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        // Before a measurement, 100 ms ± 50: a 300 ms timeout after five retries 125 ms apart, and a margin.
        #expect(buffer.gapWait == .milliseconds(945))
        buffer.updateRoundTrip(RoundTrip(smoothed: .milliseconds(10), variation: .milliseconds(1)))
        #expect(buffer.gapWait == .milliseconds(150))  // never below today's floor
        buffer.updateRoundTrip(RoundTrip(smoothed: .milliseconds(100), variation: .milliseconds(10)))
        #expect(buffer.gapWait == .milliseconds(785))
        buffer.updateRoundTrip(RoundTrip(smoothed: .seconds(2), variation: .zero))
        #expect(buffer.gapWait == .seconds(1))  // nor beyond the limit
        var audio = JitterBuffer(depacketizer: OpusDepacketizer(), configuration: .audio)
        audio.updateRoundTrip(RoundTrip(smoothed: .milliseconds(100), variation: .milliseconds(10)))
        #expect(audio.gapWait == .milliseconds(60))  // no NACK for audio: nothing to wait for
    }

    @Test func aRepairArrivingWithinTheWaitLosesNothing() {
        let stream = Stream()
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        buffer.updateRoundTrip(RoundTrip(smoothed: .milliseconds(100), variation: .milliseconds(10)))
        var outputs: [JitterOutput] = []
        let packets = (0..<8).flatMap(stream.packets)
        for (index, packet) in packets.enumerated() where index != 4 {
            buffer.push(packet, at: Self.ms(Int64(index) * 10))
            outputs += JitterBufferTests.drain(&buffer, at: Self.ms(Int64(index) * 10))
        }
        // Packet 4 comes back 520 ms after the gap showed: later than the old 150 ms, within 785 ms.
        outputs += JitterBufferTests.drain(&buffer, at: Self.ms(560))
        buffer.push(packets[4], at: Self.ms(570))
        outputs += JitterBufferTests.drain(&buffer, at: Self.ms(570))
        #expect(JitterBufferTests.frames(outputs).map(\.data) == (0..<8).map(stream.expectedData))
        #expect(buffer.statistics.lost == 0)
        #expect(JitterBufferTests.keyframeRequests(outputs) == 0)
    }

    @Test func anUnansweredPictureLossIndicationBecomesAFullIntraRequest() {
        let stream = Stream(keyframeEvery: 1000)
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        var outputs: [JitterOutput] = []
        for frame in 0..<90 {
            let now = Self.ms(Int64(frame) * 33)
            for (part, packet) in stream.packets(frame: frame).enumerated() where !(frame == 3 && part == 1) {
                buffer.push(packet, at: now)
            }
            outputs += JitterBufferTests.drain(&buffer, at: now)
            while let deadline = buffer.nextDeadline, deadline <= now {
                outputs += JitterBufferTests.drain(&buffer, at: deadline)
            }
        }
        let requests = outputs.compactMap { output -> String? in
            switch output {
            case .keyframeNeeded: "PLI"
            case .fullIntraNeeded: "FIR"
            default: nil
            }
        }
        // No keyframe ever comes: a PLI at the loss, another, then FIRs once a second has passed.
        #expect(requests.prefix(3) == ["PLI", "PLI", "FIR"])
        #expect(buffer.statistics.fullIntraRequests >= 1)
        // And nothing after the loss was released: the picture freezes.
        #expect(JitterBufferTests.frames(outputs).count == 3)
    }
}
