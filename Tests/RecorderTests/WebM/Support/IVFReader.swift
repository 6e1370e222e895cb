import Mesh

/// Reads the frames of an IVF file (the container libvpx writes): a 32-byte header, then size + pts + frame.
struct IVFFile {
    struct Frame {
        var timestampMilliseconds: Int64
        var bytes: [UInt8]
    }

    var fourCC: String
    var width: Int
    var height: Int
    var frames: [Frame]

    init(_ bytes: [UInt8]) throws {
        var reader = ByteReader(bytes)
        guard try reader.readBytes(4).elementsEqual("DKIF".utf8) else { throw ParseError("not IVF") }
        _ = try reader.readUInt16()  // version
        let headerLength = Int(try reader.readUInt16().byteSwapped)
        fourCC = String(decoding: try reader.readBytes(4), as: UTF8.self)
        width = Int(try reader.readUInt16().byteSwapped)
        height = Int(try reader.readUInt16().byteSwapped)
        let denominator = Int64(try reader.readUInt32().byteSwapped)
        let numerator = Int64(try reader.readUInt32().byteSwapped)
        guard denominator > 0 else { throw ParseError("IVF time base with zero denominator") }
        try reader.skip(headerLength - reader.position)
        frames = []
        while !reader.isAtEnd {
            let size = Int(try reader.readUInt32().byteSwapped)
            let pts = Int64(bitPattern: try reader.readUInt64().byteSwapped)
            let frame = Array(try reader.readBytes(size))
            frames.append(Frame(timestampMilliseconds: pts * numerator * 1000 / denominator, bytes: frame))
        }
    }

    /// The frame-type bit of the codec's uncompressed header.
    func isKeyframe(_ frame: Frame) -> Bool {
        guard let first = frame.bytes.first else { return false }
        switch fourCC {
        case "VP80":
            return first & 0x01 == 0
        case "VP90":
            // frame_marker(2) profile_low(1) profile_high(1) [reserved(1) if profile 3] show_existing(1) frame_type(1)
            let profile = (first >> 5 & 1) | (first >> 3 & 2)
            let shift: UInt8 = profile == 3 ? 1 : 0
            let showExisting = first >> (3 - shift) & 1
            let frameType = first >> (2 - shift) & 1
            return showExisting == 0 && frameType == 0
        default:
            return false
        }
    }
}
