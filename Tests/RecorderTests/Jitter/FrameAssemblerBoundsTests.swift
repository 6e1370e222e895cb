import Mesh
import Testing
@testable import Recorder

/// A sender decides how big a frame is; the assembler does not let it decide how much memory we hold.
@Suite struct FrameAssemblerBoundsTests {
    /// A VP8 fragment: minimal descriptor (S bit on the first), then data.
    private func fragment(start: Bool, keyframe: Bool, bytes: Int) throws -> PayloadFragment {
        var payload: [UInt8] = [start ? 0x10 : 0x00, keyframe ? 0x00 : 0x01]
        payload += Array(repeating: 0xAB, count: max(0, bytes - 1))
        let packet = RTPPacket(payloadType: 96, sequenceNumber: 0, timestamp: 0, ssrc: 1, payload: payload[...])
        return try VP8Depacketizer().fragment(of: packet)
    }

    private func frames(_ events: [FrameAssembler.Event]) -> [MediaFrame] {
        events.compactMap { if case .frame(let frame) = $0 { frame } else { nil } }
    }

    @Test func aFrameThatNeverEndsIsDroppedAtTheByteBoundAndTheNextKeyframeComesThrough() throws {
        var assembler = FrameAssembler(depacketizer: VP8Depacketizer())
        var events: [FrameAssembler.Event] = []
        var sequence: UInt64 = 0
        // 5 MiB in 1000-byte packets, one timestamp, never an end bit.
        assembler.push(try fragment(start: true, keyframe: true, bytes: 1000), rtpTimestamp: 0, sequence: sequence,
                       at: .zero, into: &events)
        let middle = try fragment(start: false, keyframe: false, bytes: 1000)
        for _ in 0..<5_300 {
            sequence += 1
            assembler.push(middle, rtpTimestamp: 0, sequence: sequence, at: .zero, into: &events)
        }
        #expect(assembler.oversizedFrames == 1)
        #expect(events.contains(.dropped(awaitingKeyframe: true)))
        // The next frame starts a new timestamp: the runaway one is not emitted, a delta frame waits
        // for a keyframe, the keyframe comes through whole.
        sequence += 1
        assembler.push(try fragment(start: true, keyframe: false, bytes: 10), rtpTimestamp: 3000,
                       sequence: sequence, at: .zero, into: &events)
        var end = try fragment(start: true, keyframe: true, bytes: 10)
        end.isFrameEnd = true
        sequence += 1
        assembler.push(end, rtpTimestamp: 6000, sequence: sequence, at: .zero, into: &events)
        let emitted = frames(events)
        #expect(emitted.allSatisfy { $0.data.count <= FrameAssembler.maximumFrameBytes })
        #expect(emitted.map(\.rtpTimestamp) == [6000])
        #expect(emitted.first?.isKeyframe == true)
    }

    @Test func aFrameOfTooManyPacketsIsDroppedEvenWhenSmall() throws {
        var assembler = FrameAssembler(depacketizer: OpusDepacketizer())
        var events: [FrameAssembler.Event] = []
        let start = PayloadFragment(data: [0xFC][...], isFrameStart: true, isFrameEnd: false, isKeyframe: true)
        let middle = PayloadFragment(data: [0x01][...], isFrameStart: false, isFrameEnd: false)
        assembler.push(start, rtpTimestamp: 0, sequence: 0, at: .zero, into: &events)
        for sequence in 1...UInt64(FrameAssembler.maximumPacketsPerFrame + 10) {
            assembler.push(middle, rtpTimestamp: 0, sequence: sequence, at: .zero, into: &events)
        }
        assembler.push(PayloadFragment(data: [0x01][...], isFrameStart: false, isFrameEnd: true), rtpTimestamp: 0,
                       sequence: UInt64(FrameAssembler.maximumPacketsPerFrame + 11), at: .zero, into: &events)
        #expect(frames(events).isEmpty)
        #expect(assembler.oversizedFrames == 1)
        #expect(events == [.dropped(awaitingKeyframe: false)])
    }
}
