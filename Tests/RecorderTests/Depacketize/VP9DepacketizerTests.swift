import Mesh
import Testing
@testable import Recorder

@Suite struct VP9DepacketizerTests {
    struct Mode: Sendable, CustomTestStringConvertible {
        var packetizer: VP9TestPacketizer
        var testDescription: String {
            "flexible \(packetizer.flexible), SS \(packetizer.scalabilityStructure), L \(packetizer.layerIndices)"
        }
    }

    static let modes = [
        Mode(packetizer: VP9TestPacketizer(flexible: false, scalabilityStructure: true, layerIndices: true)),
        Mode(packetizer: VP9TestPacketizer(flexible: true, scalabilityStructure: true, layerIndices: true)),
        Mode(packetizer: VP9TestPacketizer(flexible: true, scalabilityStructure: false, layerIndices: false)),
        Mode(packetizer: VP9TestPacketizer(flexible: false, scalabilityStructure: false, layerIndices: false)),
    ]

    @Test(arguments: modes)
    func realFrames(mode: Mode) throws {
        let clip = try EncodedClip.vp9.get()
        #expect(clip.frames.filter(\.isKeyframe).count == 3)
        let payloads = clip.frames.enumerated().map { index, frame in
            mode.packetizer.packetize(
                frame.data, keyframe: frame.isKeyframe, index: index, width: 320, height: 240, maxPayload: 1100)
        }
        let frames = try VP8DepacketizerTests.assemble(EncodedClip.packets(payloads), depacketizer: VP9Depacketizer())
        VP8DepacketizerTests.expectMatches(frames, clip)
    }

    @Test func sizeComesFromTheUncompressedHeader() throws {
        let clip = try EncodedClip.vp9.get()
        let size = VP9Depacketizer.keyframeSize(clip.frames[0].data[...])
        #expect(size?.width == 320 && size?.height == 240)
        #expect(VP9Depacketizer.keyframeSize(clip.frames[1].data[...]) == nil)
        for length in 0..<9 {  // 68 bits up to the size in profile 0
            #expect(VP9Depacketizer.keyframeSize(clip.frames[0].data[0..<length]) == nil)
        }
    }

    @Test func spatialLayersBecomeASuperframe() throws {
        // Two spatial layers of one picture: SID 0 then SID 1, each its own B...E run.
        // The base layer opens with a keyframe's uncompressed header (frame marker, profile 0, KEY_FRAME, sync code).
        let base: [UInt8] = [0x82, 0x49, 0x83, 0x42] + Array(repeating: 0xAA, count: 296)
        let enhancement: [UInt8] = Array(repeating: 0xBB, count: 5)
        let ss: [UInt8] = [0x30, 0x00, 0xA0, 0x00, 0x78, 0x01, 0x40, 0x00, 0xF0]  // 2 layers, 160x120 and 320x240
        let payloads: [[UInt8]] = [
            [0xAA, 0x01, 0x00, 0x00] + ss + base[0..<200],  // I L B V; PID, SID 0, TL0PICIDX
            [0xA4, 0x01, 0x00, 0x00] + base[200...],  // I L E
            [0xAC, 0x01, 0x02, 0x00] + enhancement,  // I L B E, SID 1
        ]
        let packets = payloads.enumerated().map { index, payload in
            RTPPacket(
                payloadType: 98, sequenceNumber: UInt16(index), timestamp: 90, ssrc: 7, marker: index == 2,
                payload: payload[...])
        }
        let frames = try VP8DepacketizerTests.assemble(packets, depacketizer: VP9Depacketizer())
        #expect(frames.count == 1)
        let frame = try #require(frames.first)
        #expect(frame.isKeyframe)
        #expect(frame.width == 320 && frame.height == 240)
        // Annex B index: marker 0b110_01_001 (2-byte sizes, 2 frames), sizes LE, marker.
        #expect(frame.data == base + enhancement + [0xC9, 0x2C, 0x01, 0x05, 0x00, 0xC9])
    }

    @Test func everyTruncatedDescriptorThrows() {
        // I P L F B V with a 15-bit PID, layer indices, one P_DIFF, SS with one size; data 0x99.
        let full: [UInt8] = [0xFA, 0x80, 0x01, 0x00, 0x04, 0x10, 0x01, 0x40, 0x00, 0xF0, 0x99]
        #expect(throws: Never.self) {
            try VP9Depacketizer().fragment(
                of: RTPPacket(payloadType: 98, sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: full[...]))
        }
        for length in 0..<full.count {
            let packet = RTPPacket(payloadType: 98, sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: full[0..<length])
            #expect(throws: ParseError.self) { try VP9Depacketizer().fragment(of: packet) }
        }
    }

    /// P = 0 alone does not make a keyframe: an intra-only frame (frame_type 1) has it too, and a seek
    /// cannot start there. The bitstream's frame type decides.
    @Test func onlyTheBitstreamsKeyFrameTypeIsAKeyframe() throws {
        let keyframe: [UInt8] = [0x08, 0x82, 0x49, 0x83, 0x42, 0x00]  // B; marker, profile 0, KEY_FRAME, sync code
        let intraOnly: [UInt8] = [0x08, 0x86, 0x00, 0x00, 0x00, 0x00]  // B; marker, profile 0, non-key frame type
        let depacketizer = VP9Depacketizer()
        let packet = { (payload: [UInt8]) in RTPPacket(payloadType: 98, sequenceNumber: 1, timestamp: 0, ssrc: 1, payload: payload[...]) }
        #expect(try depacketizer.fragment(of: packet(keyframe)).isKeyframe)
        #expect(try !depacketizer.fragment(of: packet(intraOnly)).isKeyframe)
    }
}
