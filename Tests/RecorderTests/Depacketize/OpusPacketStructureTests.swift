import CEngageOpus
import Mesh
import Testing
@testable import Recorder

@Suite struct OpusPacketStructureTests {
    private func accepts(_ bytes: [UInt8]) -> Bool { (try? OpusPacketStructure.check(bytes[...])) != nil }

    /// libopus' own verdict on the same bytes.
    private func libopusAccepts(_ bytes: [UInt8]) -> Bool {
        var toc: UInt8 = 0
        var offset: Int32 = 0
        var sizes = [opus_int16](repeating: 0, count: 48)
        // libopus wants a valid pointer even for an empty packet, which it then refuses by its length.
        let storage = bytes.isEmpty ? [0] : bytes
        let length = Int32(bytes.count)
        let result = storage.withUnsafeBufferPointer { buffer in
            sizes.withUnsafeMutableBufferPointer { sizes in
                opus_packet_parse(buffer.baseAddress!, length, &toc, nil, sizes.baseAddress!, &offset)
            }
        }
        return result > 0
    }

    @Test func eachRuleOfRFC6716IsEnforced() {
        let celt20ms: UInt8 = 31 << 3  // CELT fullband 20 ms
        let silk60ms: UInt8 = 3 << 3  // SILK narrowband 60 ms
        // Well-formed: code 0 (including an empty DTX frame), 1, 2 and 3 (CBR, VBR, padded).
        #expect(accepts([celt20ms]))
        #expect(accepts([celt20ms] + Array(repeating: 7, count: 1275)))
        #expect(accepts([celt20ms | 1, 1, 2]))
        #expect(accepts([celt20ms | 2, 1, 9, 8, 7]))
        #expect(accepts([celt20ms | 3, 3, 1, 2, 3]))
        #expect(accepts([celt20ms | 3, 0x80 | 2, 1, 9, 8, 7]))
        #expect(accepts([celt20ms | 3, 0x40 | 1, 2, 5, 0, 0]))
        #expect(accepts([celt20ms | 3, 0x40 | 1, 255, 0] + Array(repeating: 0, count: 254)))
        // R1: at least one byte.
        #expect(!accepts([]))
        // R2: no implied frame longer than 1275 bytes.
        #expect(!accepts([celt20ms] + Array(repeating: 7, count: 1276)))
        #expect(!accepts([celt20ms | 2, 0] + Array(repeating: 7, count: 1276)))
        // R3: code 1 splits evenly.
        #expect(!accepts([celt20ms | 1, 1, 2, 3]))
        // R4: code 2's coded length exists and fits.
        #expect(!accepts([celt20ms | 2]))
        #expect(!accepts([celt20ms | 2, 252]))
        #expect(!accepts([celt20ms | 2, 5, 1, 2]))
        // R5: code 3 holds at least one frame and at most 120 ms.
        #expect(!accepts([celt20ms | 3, 0]))
        #expect(!accepts([silk60ms | 3, 3, 0, 0, 0]))
        #expect(accepts([silk60ms | 3, 2, 0, 0]))
        #expect(!accepts([celt20ms | 3, 7] + Array(repeating: 0, count: 7)))
        // R6: CBR frames are equal and padding fits.
        #expect(!accepts([celt20ms | 3]))
        #expect(!accepts([celt20ms | 3, 2, 1, 2, 3]))
        #expect(!accepts([celt20ms | 3, 0x40 | 1, 9, 0]))
        #expect(!accepts([celt20ms | 3, 0x40 | 1, 255]))
        // R7: VBR lengths and padding fit.
        #expect(!accepts([celt20ms | 3, 0x80 | 3, 1]))
        #expect(!accepts([celt20ms | 3, 0x80 | 2, 9, 1, 2]))
        #expect(!accepts([celt20ms | 3, 0xC0 | 2, 3, 2, 1, 1]))
    }

    /// The Swift check and libopus agree on every packet: random headers (every TOC, count byte and
    /// length code) over bodies of every size up to past the limits, so that most land near a rule's edge.
    @Test func agreesWithLibopusOnShapedPackets() {
        var random = SplitMix64(seed: 6716)
        var disagreements: [[UInt8]] = []
        var accepted = 0
        let total = 200_000
        for _ in 0..<total {
            let length = Int.random(in: 0...(Bool.random(using: &random) ? 24 : 2_700), using: &random)
            // Only the first bytes carry structure; the rest is frame data the rules only measure.
            var header = (0..<min(length, 8)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if header.count > 1, Bool.random(using: &random) {
                // A small frame count, often with padding or VBR, is where the rules bite.
                header[1] = header[1] & 0xC0 | UInt8.random(in: 0...6, using: &random)
            }
            if header.count > 2, Int.random(in: 0..<4, using: &random) == 0 {
                header[2] = UInt8.random(in: 0...3, using: &random)
            }
            let bytes = header + Array(repeating: UInt8.random(in: 0...255, using: &random), count: length - header.count)
            let verdict = accepts(bytes)
            if verdict { accepted += 1 }
            if verdict != libopusAccepts(bytes), disagreements.count < 5 { disagreements.append(bytes) }
        }
        #expect(disagreements.isEmpty, "first disagreements (header, length): \(disagreements.map { (Array($0.prefix(8)), $0.count) })")
        // Both verdicts are exercised, not just one.
        #expect(accepted > total / 10 && accepted < total * 9 / 10)
    }

    @Test func aMalformedOpusPacketIsCountedAndSkippedNeverWritten() {
        var buffer = JitterBuffer(depacketizer: OpusDepacketizer(), configuration: .audio)
        let good: [UInt8] = [0xFC, 1, 2, 3]
        let bad: [UInt8] = [0xFC | 1, 1, 2, 3]  // code 1 with an odd length sum
        var outputs: [JitterOutput] = []
        for index in 0..<3 {
            let payload = index == 1 ? bad : good
            buffer.push(RTPPacket(payloadType: 111, sequenceNumber: UInt16(index), timestamp: UInt32(index * 960),
                                  ssrc: 9, payload: payload[...]), at: .milliseconds(Int64(index) * 20))
            outputs += JitterBufferTests.drain(&buffer, at: .milliseconds(Int64(index) * 20))
        }
        outputs += JitterBufferTests.drain(&buffer, at: .seconds(5))
        let frames = JitterBufferTests.frames(outputs)
        #expect(frames.map(\.rtpTimestamp) == [0, 1920])
        #expect(frames.allSatisfy { $0.data == good })
        #expect(buffer.statistics.malformed == 1)
    }
}
