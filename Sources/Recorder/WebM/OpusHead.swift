import Mesh

/// The Opus identification header (RFC 7845 §5.1), which Matroska carries as A_OPUS CodecPrivate.
public enum OpusHead {
    /// Channel mapping family 0 only: one stream, mono or stereo, which is all WebRTC sends.
    /// `channels` outside 1...2 is clamped because family 0 cannot describe anything else.
    public static func make(channels: Int, preSkip: UInt16, inputSampleRate: UInt32, outputGain: Int16 = 0) -> [UInt8] {
        var writer = ByteWriter(capacity: 19)
        writer.write(contentsOf: Array("OpusHead".utf8))
        writer.write(UInt8(1))  // version
        writer.write(UInt8(min(max(channels, 1), 2)))
        // Unlike the rest of EBML and RTP, Ogg-derived Opus fields are little-endian.
        writer.write(contentsOf: [UInt8(truncatingIfNeeded: preSkip), UInt8(truncatingIfNeeded: preSkip >> 8)])
        writer.write(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: inputSampleRate >> (8 * UInt32($0))) })
        let gain = UInt16(bitPattern: outputGain)
        writer.write(contentsOf: [UInt8(truncatingIfNeeded: gain), UInt8(truncatingIfNeeded: gain >> 8)])
        writer.write(UInt8(0))  // mapping family
        return writer.bytes
    }

    /// The fields of a received header that a muxer needs.
    public struct Fields: Sendable, Equatable {
        public var channels: Int
        public var preSkip: UInt16
        public var inputSampleRate: UInt32

        public init(channels: Int, preSkip: UInt16, inputSampleRate: UInt32) {
            self.channels = channels
            self.preSkip = preSkip
            self.inputSampleRate = inputSampleRate
        }
    }

    public static func parse(_ bytes: some Collection<UInt8>) throws -> Fields {
        var reader = ByteReader(Array(bytes))
        guard try reader.readBytes(8).elementsEqual("OpusHead".utf8) else { throw ParseError("not an OpusHead") }
        let version = try reader.readUInt8()
        // RFC 7845: the high nibble is the major version; only 0 is defined.
        guard version >> 4 == 0 else { throw ParseError("unsupported OpusHead version \(version)") }
        let channels = Int(try reader.readUInt8())
        guard channels > 0 else { throw ParseError("OpusHead with zero channels") }
        let preSkip = try reader.readUInt16().byteSwapped
        let rate = try reader.readUInt32().byteSwapped
        _ = try reader.readUInt16()  // output gain
        let family = try reader.readUInt8()
        if family != 0 { _ = try reader.readBytes(2 + channels) }  // stream counts and mapping table
        return Fields(channels: channels, preSkip: preSkip, inputSampleRate: rate)
    }
}
