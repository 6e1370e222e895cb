import Mesh
import Testing
@testable import Recorder

@Suite struct VP8DepacketizerTests {
    /// Packets in order through the assembler, as a jitter buffer would hand them over.
    static func assemble(_ packets: [RTPPacket], depacketizer: any Depacketizer) throws -> [MediaFrame] {
        var assembler = FrameAssembler(depacketizer: depacketizer)
        var unwrapper = SequenceUnwrapper()
        var events: [FrameAssembler.Event] = []
        for packet in packets {
            assembler.push(
                try depacketizer.fragment(of: packet), rtpTimestamp: packet.timestamp,
                sequence: unwrapper.unwrap(packet.sequenceNumber), at: .zero, into: &events)
        }
        return events.compactMap { if case .frame(let frame) = $0 { frame } else { nil } }
    }

    static func expectMatches(_ frames: [MediaFrame], _ clip: EncodedClip) {
        #expect(frames.count == clip.frames.count)
        for (frame, original) in zip(frames, clip.frames) {
            #expect(frame.data == original.data)
            #expect(frame.isKeyframe == original.isKeyframe)
            if original.isKeyframe {
                #expect(frame.width == 320 && frame.height == 240)
            } else {
                #expect(frame.width == nil && frame.height == nil)
            }
        }
    }

    @Test(arguments: [1100, 300])
    func realFramesThroughVP8Packetizer(maxPayload: Int) throws {
        let clip = try EncodedClip.vp8.get()
        #expect(clip.width == 320 && clip.height == 240)
        #expect(clip.frames.filter(\.isKeyframe).count == 3)
        var packetizer = VP8Packetizer(maxPayloadSize: maxPayload, pictureID: 32760)
        let payloads = clip.frames.map { packetizer.packetize($0.data[...]) }
        #expect(payloads.joined().allSatisfy { $0.count <= maxPayload })
        let packets = EncodedClip.packets(payloads)
        let frames = try Self.assemble(packets, depacketizer: VP8Depacketizer())
        Self.expectMatches(frames, clip)
        #expect(frames.first?.firstSequence == 65000 | 0x1_0000)
        #expect(frames.last?.lastSequence == 65000 + 0x1_0000 + UInt64(packets.count - 1))
    }

    @Test(arguments: VP8DescriptorShape.allCases)
    func realFramesWithOtherDescriptors(shape: VP8DescriptorShape) throws {
        let clip = try EncodedClip.vp8.get()
        let payloads = clip.frames.enumerated().map { shape.packetize($1.data, index: $0, maxPayload: 1100) }
        let frames = try Self.assemble(EncodedClip.packets(payloads), depacketizer: VP8Depacketizer())
        Self.expectMatches(frames, clip)
    }

    @Test func secondPartitionIsNotAFrameStart() throws {
        let packet = RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: [0x11, 0x00])
        let fragment = try VP8Depacketizer().fragment(of: packet)
        #expect(!fragment.isFrameStart)
        #expect(!fragment.isKeyframe)
    }

    @Test func everyTruncatedDescriptorThrows() {
        let full: [UInt8] = [0x90, 0xF0, 0x81, 0x02, 0x03, 0x04]
        for length in 0..<full.count {
            let packet = RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: full[0..<length])
            #expect(throws: ParseError.self) { try VP8Depacketizer().fragment(of: packet) }
        }
    }

    @Test func shortKeyframeHeaderHasNoSize() throws {
        let packet = RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: [0x10, 0x00, 0x01])
        let fragment = try VP8Depacketizer().fragment(of: packet)
        #expect(fragment.isKeyframe && fragment.width == nil)
    }
}

/// A peer's packets are authenticated, not honest: frames whose VP8 header a decoder refuses never reach a file.
@Suite struct VP8FrameHeaderTests {
    /// A keyframe header (RFC 6386 §9.1) with a first partition of `partition` bytes, then `body` bytes.
    private func keyframe(partition: Int, body: Int, width: Int = 320, height: Int = 240) -> [UInt8] {
        let tag = UInt32(partition) << 5 | 0x10  // keyframe, version 0, shown
        return [UInt8(truncatingIfNeeded: tag), UInt8(truncatingIfNeeded: tag >> 8), UInt8(truncatingIfNeeded: tag >> 16),
                0x9D, 0x01, 0x2A, UInt8(width & 0xFF), UInt8(width >> 8), UInt8(height & 0xFF), UInt8(height >> 8)]
            + Array(repeating: 0x55, count: body)
    }

    private func deltaFrame(partition: Int, body: Int, version: UInt32 = 0) -> [UInt8] {
        let tag = UInt32(partition) << 5 | 0x10 | version << 1 | 1
        return [UInt8(truncatingIfNeeded: tag), UInt8(truncatingIfNeeded: tag >> 8), UInt8(truncatingIfNeeded: tag >> 16)]
            + Array(repeating: 0x55, count: body)
    }

    @Test func framesWithPossibleHeadersPass() {
        let depacketizer = VP8Depacketizer()
        #expect(depacketizer.isWellFormed(keyframe(partition: 100, body: 500)))
        #expect(depacketizer.isWellFormed(keyframe(partition: 500, body: 500)))
        #expect(depacketizer.isWellFormed(deltaFrame(partition: 40, body: 40)))
        #expect(depacketizer.isWellFormed(deltaFrame(partition: 40, body: 200, version: 3)))
    }

    @Test func framesDecodersRefuseAreRecognized() {
        let depacketizer = VP8Depacketizer()
        #expect(!depacketizer.isWellFormed([]))
        #expect(!depacketizer.isWellFormed([0x31, 0x02]))
        #expect(!depacketizer.isWellFormed(keyframe(partition: 501, body: 500)), "first partition past the frame")
        #expect(!depacketizer.isWellFormed(deltaFrame(partition: 41, body: 40)), "first partition past the frame")
        #expect(!depacketizer.isWellFormed(deltaFrame(partition: 40, body: 40, version: 5)), "no VP8 version 5")
        var badStartCode = keyframe(partition: 100, body: 500)
        badStartCode[4] = 0x02
        #expect(!depacketizer.isWellFormed(badStartCode))
        #expect(!depacketizer.isWellFormed(keyframe(partition: 100, body: 500, width: 0)), "a picture of no pixels")
        #expect(!depacketizer.isWellFormed(Array(keyframe(partition: 4, body: 0).prefix(8))), "keyframe header cut short")
    }
}
