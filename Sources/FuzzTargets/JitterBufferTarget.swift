import Mesh
import Recorder

/// One stream's jitter buffer and frame assembly, fed a script of packets (sequence and timestamp jumps,
/// markers, arbitrary payloads) and polls as time passes. The first byte picks the codec.
enum JitterBufferTarget {
    static let target = FuzzTarget(name: "jitter", run: run, seeds: seeds)
    static let maximumSteps = 400

    static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let codec = input.byte() % 3
        let depacketizer: any Depacketizer = switch codec {
        case 0: VP8Depacketizer()
        case 1: VP9Depacketizer()
        default: OpusDepacketizer()
        }
        var buffer = JitterBuffer(depacketizer: depacketizer, configuration: codec == 2 ? .audio : .video)
        var now = Timestamp.zero
        var sequence: UInt16 = 0
        var timestamp: UInt32 = 0
        for _ in 0..<maximumSteps where !input.isAtEnd {
            let step = input.byte()
            if step & 0x80 == 0 {
                sequence &+= UInt16(bitPattern: Int16(Int8(bitPattern: input.byte())))
                if step & 0x40 != 0 { timestamp &+= UInt32(input.uint16()) * 10 }
                if step & 0x20 != 0 { timestamp = input.uint32() }
                let payload = input.shortBytes()
                let packet = RTPPacket(payloadType: 96, sequenceNumber: sequence, timestamp: timestamp, ssrc: 7,
                                       marker: step & 1 != 0, payload: payload[...])
                buffer.push(packet, at: now)
                now = now + .milliseconds(Int64(step & 0x0E))
            } else {
                now = now + .milliseconds(Int64(input.uint16() % 2000))
            }
            while let output = buffer.poll(at: now) { _ = output }
            _ = buffer.nextDeadline
        }
        _ = buffer.statistics
    }

    static func seeds() -> [[UInt8]] {
        // VP8: a keyframe in two packets, a delta frame, one packet lost, then time passing.
        var vp8 = FuzzScript()
        vp8.byte(0)
        vp8.byte(0x40); vp8.byte(1); vp8.uint16(300)
        vp8.shortBytes([0x90, 0x80, 0x01, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00])
        vp8.byte(0x01); vp8.byte(1); vp8.shortBytes([0x80, 0x80, 0x01, 0xAA, 0xBB])
        vp8.byte(0x41); vp8.byte(1); vp8.uint16(300); vp8.shortBytes([0x90, 0x80, 0x02, 0x31, 0x00, 0x00])
        vp8.byte(0x41); vp8.byte(2); vp8.uint16(300); vp8.shortBytes([0x90, 0x80, 0x04, 0x31, 0x00, 0x00])
        vp8.byte(0x80); vp8.uint16(500)
        // Opus: 20 ms packets with a timestamp jump.
        var opus = FuzzScript()
        opus.byte(2)
        for index in 0..<4 {
            opus.byte(0x44); opus.byte(1); opus.uint16(96); opus.shortBytes([0x78, UInt8(index), 0x02])
        }
        opus.byte(0x20); opus.byte(1); opus.uint32(0xFFFF_FF00); opus.shortBytes([0xFC, 0xFF, 0xFE])
        opus.byte(0x80); opus.uint16(100)
        var vp9 = FuzzScript()
        vp9.byte(1)
        vp9.byte(0x41); vp9.byte(1); vp9.uint16(300); vp9.shortBytes([0xAA, 0x80, 0x01, 0x18, 0x01, 0x40, 0x00, 0xF0, 0x01, 0x00, 0x82, 0x49, 0x83, 0x42])
        vp9.byte(0x41); vp9.byte(1); vp9.uint16(300); vp9.shortBytes([0x8C, 0x80, 0x02, 0x86, 0x00])
        vp9.byte(0x80); vp9.uint16(300)
        return [vp8.bytes, opus.bytes, vp9.bytes]
    }
}
