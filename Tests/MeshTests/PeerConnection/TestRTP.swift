@testable import Mesh

/// Hand-made RTP packets for tests that play a peer: a VP8 keyframe's first bytes after the header.
enum TestRTP {
    /// `afterHeader` comes between the fixed header and the payload (an extension block, an RTX OSN); a non-empty
    /// extension block must set `hasExtension`.
    static func vp8(payloadType: UInt8, sequence: UInt16, ssrc: UInt32, hasExtension: Bool = false,
                    afterHeader: [UInt8] = [], payloadBytes: Int = 200) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(UInt8(hasExtension ? 0x90 : 0x80))
        writer.write(payloadType)
        writer.write(sequence)
        writer.write(UInt32(sequence) &* 3000)
        writer.write(ssrc)
        writer.write(contentsOf: afterHeader)
        writer.write(contentsOf: [0x10, 0x00, 0x9d, 0x01, 0x2a] + Array(repeating: UInt8(7), count: payloadBytes))
        return writer.bytes
    }
}
