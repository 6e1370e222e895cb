import Mesh

/// The framing rules every Opus packet obeys (RFC 6716 §3.1–3.4, requirements R1–R7): the TOC
/// byte's frame count code, the frame lengths it implies or codes, padding, and at most 120 ms
/// of audio. A decoder refuses a packet that breaks them (libopus' `opus_packet_parse` does),
/// so such a packet is never written to a file: a player would stop or glitch on it.
///
/// Only the structure is checked, not the compressed frames inside.
public enum OpusPacketStructure {
    /// R2: no frame is longer than this, coded or implied.
    public static let maximumFrameBytes = 1275
    /// R5: at most 120 ms of audio per packet, in units of 2.5 ms.
    static let maximumDurationUnits = 48

    /// Throws, naming the rule, when `packet` is not a well-formed Opus packet.
    public static func check(_ packet: ArraySlice<UInt8>) throws {
        var reader = packet
        guard let toc = reader.popFirst() else { throw ParseError("Opus: empty packet (R1)") }
        switch toc & 0x3 {
        case 0:
            // One frame: everything after the TOC.
            try checkImplied(reader.count)
        case 1:
            // Two frames of equal size: what follows the TOC splits evenly.
            guard reader.count % 2 == 0 else { throw ParseError("Opus: code 1 with an odd frame length sum (R3)") }
            try checkImplied(reader.count / 2)
        case 2:
            // Two frames: the first's length is coded, the second takes the rest.
            let first = try frameLength(&reader, rule: "R4")
            guard first <= reader.count else { throw ParseError("Opus: code 2 first frame longer than the packet (R4)") }
            try checkImplied(reader.count - first)
        default:
            try checkCode3(&reader, toc: toc)
        }
    }

    private static func checkCode3(_ reader: inout ArraySlice<UInt8>, toc: UInt8) throws {
        guard let countByte = reader.popFirst() else { throw ParseError("Opus: code 3 without a frame count (R6)") }
        let isVariable = countByte & 0x80 != 0
        let hasPadding = countByte & 0x40 != 0
        let count = Int(countByte & 0x3f)
        guard count > 0 else { throw ParseError("Opus: code 3 with no frames (R5)") }
        guard count * durationUnits(toc: toc) <= maximumDurationUnits else {
            throw ParseError("Opus: code 3 with more than 120 ms of audio (R5)")
        }
        var padding = 0
        if hasPadding {
            // Each 255 adds 254 bytes and continues; the last length byte adds its own value.
            while true {
                guard let byte = reader.popFirst() else { throw ParseError("Opus: code 3 padding length cut short (R6/R7)") }
                padding += byte == 255 ? 254 : Int(byte)
                if byte != 255 { break }
            }
        }
        if isVariable {
            var coded = 0
            for _ in 0..<(count - 1) {
                coded += try frameLength(&reader, rule: "R7")
            }
            guard coded + padding <= reader.count else {
                throw ParseError("Opus: code 3 VBR frames and padding longer than the packet (R7)")
            }
            try checkImplied(reader.count - coded - padding)
        } else {
            guard padding <= reader.count else { throw ParseError("Opus: code 3 padding longer than the packet (R6)") }
            let frames = reader.count - padding
            guard frames % count == 0 else { throw ParseError("Opus: code 3 CBR frames of unequal size (R6)") }
            try checkImplied(frames / count)
        }
    }

    /// A frame length coded in one byte (0–251) or two (252–255, then a multiplier of 4).
    private static func frameLength(_ reader: inout ArraySlice<UInt8>, rule: String) throws -> Int {
        guard let first = reader.popFirst() else { throw ParseError("Opus: frame length missing (\(rule))") }
        guard first >= 252 else { return Int(first) }
        guard let second = reader.popFirst() else { throw ParseError("Opus: two-byte frame length cut short (\(rule))") }
        return Int(second) * 4 + Int(first)
    }

    private static func checkImplied(_ length: Int) throws {
        guard length <= maximumFrameBytes else {
            throw ParseError("Opus: a frame of \(length) bytes, more than \(maximumFrameBytes) (R2)")
        }
    }

    /// How much audio a packet holds, in microseconds, from its TOC byte and frame count (RFC 6716 §3.1,
    /// §3.2.5); nil for a packet too short to say.
    public static func durationMicroseconds(_ packet: [UInt8]) -> Int? {
        guard let toc = packet.first else { return nil }
        let frames: Int
        switch toc & 0x3 {
        case 0: frames = 1
        case 1, 2: frames = 2
        default:
            guard packet.count >= 2 else { return nil }
            frames = Int(packet[packet.startIndex + 1] & 0x3f)
        }
        return frames * durationUnits(toc: toc) * 2_500
    }

    /// The duration of one frame in 2.5 ms units, from the TOC's configuration number (RFC 6716 §3.1).
    static func durationUnits(toc: UInt8) -> Int {
        let configuration = Int(toc >> 3)
        switch configuration {
        case 0..<12: return [4, 8, 16, 24][configuration % 4]  // SILK: 10, 20, 40, 60 ms
        case 12..<16: return [4, 8][configuration % 2]  // hybrid: 10, 20 ms
        default: return [1, 2, 4, 8][configuration % 4]  // CELT: 2.5, 5, 10, 20 ms
        }
    }
}
