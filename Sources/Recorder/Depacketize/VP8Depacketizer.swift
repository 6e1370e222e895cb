import Mesh

/// VP8 over RTP (RFC 7741).
///
/// ```
/// payload descriptor                 VP8 payload header (first packet of a frame)
///   |X|R|N|S|R| PID |                  |Size0|H| VER |P|  P = 0: keyframe
///   |I|L|T|K| RSV   |  if X            |     Size1     |
///   |M| PictureID   |  if I            |     Size2     |
///   |  PictureID    |  if M            | 9d | 01 | 2a  |  keyframe start code
///   |   TL0PICIDX   |  if L            | width (14) + scale (2), little-endian
///   |TID|Y| KEYIDX  |  if T or K       | height (14) + scale (2), little-endian
/// ```
public struct VP8Depacketizer: Depacketizer {
    public init() {}

    public var isVideo: Bool { true }

    public func fragment(of packet: RTPPacket) throws -> PayloadFragment {
        var reader = ByteReader(packet.payload)
        let first = try reader.readUInt8()
        let isPartitionStart = first & 0x10 != 0
        let partitionIndex = first & 0x07
        if first & 0x80 != 0 {
            let extensions = try reader.readUInt8()
            if extensions & 0x80 != 0 {
                let pictureID = try reader.readUInt8()
                if pictureID & 0x80 != 0 { try reader.skip(1) }
            }
            if extensions & 0x40 != 0 { try reader.skip(1) }
            if extensions & 0x30 != 0 { try reader.skip(1) }
        }
        let data = reader.readRest()
        guard let header = data.first else { throw ParseError("VP8: descriptor without data") }

        let isFrameStart = isPartitionStart && partitionIndex == 0
        var fragment = PayloadFragment(data: data, isFrameStart: isFrameStart, isFrameEnd: packet.marker)
        guard isFrameStart, header & 0x01 == 0 else { return fragment }
        fragment.isKeyframe = true
        // RFC 6386 §9.1: the keyframe's start code, then 14-bit dimensions.
        let base = data.startIndex
        if data.count >= 10, data[base + 3] == 0x9D, data[base + 4] == 0x01, data[base + 5] == 0x2A {
            fragment.width = Int(data[base + 6]) | Int(data[base + 7] & 0x3F) << 8
            fragment.height = Int(data[base + 8]) | Int(data[base + 9] & 0x3F) << 8
        }
        return fragment
    }

    /// RFC 6386 §9.1: version 0–3, a first partition that fits the frame, and for a keyframe its start
    /// code and a picture of at least one pixel. Decoders refuse a frame that breaks these.
    public func isWellFormed(_ frame: [UInt8]) -> Bool {
        guard frame.count >= 3 else { return false }
        let tag = UInt32(frame[0]) | UInt32(frame[1]) << 8 | UInt32(frame[2]) << 16
        let isKeyframe = tag & 0x01 == 0
        let version = (tag >> 1) & 0x07
        let firstPartitionSize = Int(tag >> 5)
        guard version <= 3 else { return false }
        var header = 3
        if isKeyframe {
            header = 10
            guard frame.count >= header, frame[3] == 0x9D, frame[4] == 0x01, frame[5] == 0x2A,
                  Int(frame[6]) | Int(frame[7] & 0x3F) << 8 > 0, Int(frame[8]) | Int(frame[9] & 0x3F) << 8 > 0
            else { return false }
        }
        return firstPartitionSize > 0 && firstPartitionSize <= frame.count - header
    }
}
