import Mesh

/// Reads the Opus packets of a single-stream Ogg file (RFC 3533 pages, RFC 7845 mapping), with
/// timestamps rebuilt from each packet's TOC the way a receiver would count samples.
struct OggOpusFile {
    struct Packet {
        var timestampMilliseconds: Int64
        var durationSamples: Int
        var bytes: [UInt8]
    }

    var head: [UInt8]
    var packets: [Packet]

    init(_ bytes: [UInt8]) throws {
        var reader = ByteReader(bytes)
        var raw: [[UInt8]] = []
        var pending: [UInt8] = []
        while !reader.isAtEnd {
            guard try reader.readBytes(4).elementsEqual("OggS".utf8) else { throw ParseError("lost Ogg page sync") }
            try reader.skip(22)  // version, flags, granule, serial, sequence, CRC
            let segmentCount = Int(try reader.readUInt8())
            let lacing = try reader.readBytes(segmentCount).map(Int.init)
            for value in lacing {
                pending.append(contentsOf: try reader.readBytes(value))
                // A lacing value below 255 ends a packet; 255 continues it, possibly on the next page.
                if value < 255 {
                    raw.append(pending)
                    pending = []
                }
            }
        }
        guard raw.count >= 2, raw[0].starts(with: "OpusHead".utf8), raw[1].starts(with: "OpusTags".utf8) else {
            throw ParseError("missing OpusHead/OpusTags")
        }
        head = raw[0]
        packets = []
        var samples = 0
        for packet in raw.dropFirst(2) {
            let duration = try Self.samples(in: packet)
            packets.append(Packet(timestampMilliseconds: Int64(samples / 48), durationSamples: duration, bytes: packet))
            samples += duration
        }
    }

    /// RFC 6716 §3.1: the TOC byte gives the frame size, and its code the number of frames.
    static func samples(in packet: [UInt8]) throws -> Int {
        guard let toc = packet.first else { throw ParseError("empty Opus packet") }
        let config = Int(toc >> 3)
        let frameSamples: Int  // at 48 kHz
        switch config {
        case 0..<12: frameSamples = [480, 960, 1920, 2880][config % 4]
        case 12..<16: frameSamples = [480, 960][config % 2]
        default: frameSamples = [120, 240, 480, 960][config % 4]
        }
        switch toc & 0x03 {
        case 0: return frameSamples
        case 1, 2: return 2 * frameSamples
        default:
            guard packet.count >= 2 else { throw ParseError("code 3 Opus packet without frame count") }
            return Int(packet[1] & 0x3F) * frameSamples
        }
    }
}
