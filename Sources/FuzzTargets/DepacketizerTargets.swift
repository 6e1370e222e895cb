import Mesh
import Recorder

/// The codec payload formats the recorder reads: VP8 (RFC 7741), VP9 (RFC 9628) and Opus (RFC 7587).
/// The first input byte sets the marker bit; the rest is the RTP payload.
enum DepacketizerTargets {
    static let vp8 = FuzzTarget(name: "vp8", run: { run(VP8Depacketizer(), $0) }, seeds: {
        [
            [1, 0x90, 0x80, 0x12, 0x34, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01],  // keyframe, 640x480
            [0, 0x80, 0x80, 0x81, 0x00, 0x01, 0x02],
            [1, 0x00, 0x31, 0x00, 0x00],
        ]
    })
    static let vp9 = FuzzTarget(name: "vp9", run: { run(VP9Depacketizer(), $0) }, seeds: {
        [
            // Flexible mode with picture ID, layer indices and scalability structure (two spatial layers).
            [1, 0xBA, 0x80, 0x05, 0x00, 0x18, 0x01, 0x40, 0x01, 0x00, 0x02, 0x80, 0x01, 0x68, 0x04, 0x82, 0x49, 0x83, 0x42],
            [0, 0x88, 0x85, 0x21],
            [1, 0xA4, 0x00, 0x07, 0x02, 0x00, 0x86],
        ]
    })
    static let opus = FuzzTarget(name: "opus", run: { run(OpusDepacketizer(), $0) }, seeds: {
        [[1, 0xFC, 0xFF, 0xFE], [0, 0x78, 0x01, 0x02, 0x03], [0, 0x03, 0x82, 0x10, 0x20]]
    })

    static func run(_ depacketizer: some Depacketizer, _ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let packet = RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 90_000, ssrc: 7,
                               marker: first & 1 == 1, payload: bytes.dropFirst())
        guard !packet.payload.isEmpty, let fragment = try? depacketizer.fragment(of: packet) else { return }
        RoundTrip.require(fragment.data.count <= packet.payload.count, "depacketizer: fragment larger than its packet")
        var frame = Array(fragment.data)
        // A picture of two layer frames made of this fragment's halves, as the frame assembler would pass it.
        let half = frame.count / 2
        depacketizer.finishFrame(&frame, layerSizes: [half, frame.count - half])
    }
}
