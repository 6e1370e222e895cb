import Mesh

/// VP9 over RTP (RFC 9628).
///
/// ```
///   |I|P|L|F|B|E|V|Z|
///   |M| PICTURE ID  |  if I (second byte if M)
///   |TID|U| SID |D  |  if L
///   |  TL0PICIDX    |  if L and not F
///   |  P_DIFF     |N|  if F and P, up to 3 times while N
///   |  scalability structure (SS)  if V
/// ```
///
/// A picture (one RTP timestamp) may hold several spatial layer frames, each starting with
/// B and ending with E; the marker bit ends the picture. Pictures with more than one layer
/// frame are joined into a VP9 superframe (Annex B) so that they decode as one block.
public struct VP9Depacketizer: Depacketizer {
    public init() {}

    public var isVideo: Bool { true }

    public func fragment(of packet: RTPPacket) throws -> PayloadFragment {
        var reader = ByteReader(packet.payload)
        let first = try reader.readUInt8()
        let hasPictureID = first & 0x80 != 0
        let isInterPredicted = first & 0x40 != 0
        let hasLayerIndices = first & 0x20 != 0
        let isFlexible = first & 0x10 != 0
        let beginsLayerFrame = first & 0x08 != 0
        let hasScalabilityStructure = first & 0x02 != 0

        if hasPictureID {
            let pictureID = try reader.readUInt8()
            if pictureID & 0x80 != 0 { try reader.skip(1) }
        }
        var spatialID: UInt8 = 0
        if hasLayerIndices {
            spatialID = (try reader.readUInt8() >> 1) & 0x07
            if !isFlexible { try reader.skip(1) }
        }
        if isFlexible, isInterPredicted {
            var referenceCount = 0
            while true {
                let difference = try reader.readUInt8()
                referenceCount += 1
                if difference & 0x01 == 0 { break }
                guard referenceCount < 3 else { throw ParseError("VP9: more than 3 reference indices") }
            }
        }
        var size: (width: Int, height: Int)?
        if hasScalabilityStructure {
            size = try Self.skipScalabilityStructure(&reader)
        }
        let data = reader.readRest()
        guard !data.isEmpty else { throw ParseError("VP9: descriptor without data") }

        // The picture starts with the lowest spatial layer's first packet.
        let isFrameStart = beginsLayerFrame && spatialID == 0
        var fragment = PayloadFragment(
            data: data, isFrameStart: isFrameStart, isFrameEnd: packet.marker,
            startsLayerFrame: beginsLayerFrame)
        // P = 0 also marks intra-only frames and layer syncs, which still depend on earlier state; only the
        // bitstream's own frame type says whether decoding (and so a seek) can start here.
        guard isFrameStart, !isInterPredicted, Self.frameType(data) != .nonKeyframe else { return fragment }
        fragment.isKeyframe = true
        if size == nil { size = Self.keyframeSize(data) }
        fragment.width = size?.width
        fragment.height = size?.height
        return fragment
    }

    /// Reads past the SS, returning the highest spatial layer's size when it is given.
    static func skipScalabilityStructure(_ reader: inout ByteReader) throws -> (width: Int, height: Int)? {
        let header = try reader.readUInt8()
        let layerCount = Int(header >> 5) + 1
        var size: (width: Int, height: Int)?
        if header & 0x10 != 0 {
            for _ in 0..<layerCount {
                size = (Int(try reader.readUInt16()), Int(try reader.readUInt16()))
            }
        }
        if header & 0x08 != 0 {
            let groupCount = Int(try reader.readUInt8())
            for _ in 0..<groupCount {
                let description = try reader.readUInt8()
                try reader.skip(Int(description >> 2) & 0x03)
            }
        }
        return size
    }

    enum FrameType { case keyframe, nonKeyframe }

    /// frame_type from the uncompressed header (VP9 bitstream spec §6.2); a shown existing frame is no
    /// keyframe; nil when the header is cut short.
    static func frameType(_ data: ArraySlice<UInt8>) -> FrameType? {
        var bits = BitReader(data)
        guard let marker = bits.read(2), let low = bits.read(1), let high = bits.read(1) else { return nil }
        guard marker == 2 else { return .nonKeyframe }
        if high << 1 | low == 3 { guard bits.read(1) != nil else { return nil } }
        guard let showExisting = bits.read(1) else { return nil }
        if showExisting == 1 { return .nonKeyframe }
        guard let frameType = bits.read(1) else { return nil }
        return frameType == 0 ? .keyframe : .nonKeyframe
    }

    /// The frame size from a keyframe's uncompressed header (VP9 bitstream spec §6.2), or nil
    /// when the header is cut short or is not a keyframe's.
    static func keyframeSize(_ data: ArraySlice<UInt8>) -> (width: Int, height: Int)? {
        var bits = BitReader(data)
        guard let marker = bits.read(2), marker == 2,
            let low = bits.read(1), let high = bits.read(1)
        else { return nil }
        let profile = high << 1 | low
        if profile == 3 { guard bits.read(1) != nil else { return nil } }
        guard let showExisting = bits.read(1), showExisting == 0,
            let frameType = bits.read(1), frameType == 0,
            bits.read(2) != nil,  // show_frame, error_resilient_mode
            bits.read(24) == 0x49_8342
        else { return nil }
        if profile >= 2 { guard bits.read(1) != nil else { return nil } }
        guard let colorSpace = bits.read(3) else { return nil }
        if colorSpace != 7 {  // not sRGB: color_range, then subsampling in profiles 1 and 3
            guard bits.read(profile & 1 == 1 ? 4 : 1) != nil else { return nil }
        } else if profile & 1 == 1 {
            guard bits.read(1) != nil else { return nil }
        }
        guard let width = bits.read(16), let height = bits.read(16) else { return nil }
        return (width + 1, height + 1)
    }

    public func finishFrame(_ data: inout [UInt8], layerSizes: [Int]) {
        // Annex B: a superframe index holds at most 8 frames, each size in 1 to 4 bytes.
        guard layerSizes.count > 1, layerSizes.count <= 8, let largest = layerSizes.max() else { return }
        let sizeBytes = largest < 1 << 8 ? 1 : largest < 1 << 16 ? 2 : largest < 1 << 24 ? 3 : 4
        let marker = 0xC0 | UInt8(sizeBytes - 1) << 3 | UInt8(layerSizes.count - 1)
        data.reserveCapacity(data.count + 2 + sizeBytes * layerSizes.count)
        data.append(marker)
        for size in layerSizes {
            for byte in 0..<sizeBytes { data.append(UInt8(truncatingIfNeeded: size >> (8 * byte))) }
        }
        data.append(marker)
    }
}

/// Most-significant-bit-first reads for the VP9 uncompressed header.
private struct BitReader {
    let bytes: ArraySlice<UInt8>
    var bitOffset = 0

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    mutating func read(_ count: Int) -> Int? {
        guard bitOffset + count <= bytes.count * 8 else { return nil }
        var value = 0
        for _ in 0..<count {
            let byte = bytes[bytes.startIndex + bitOffset >> 3]
            value = value << 1 | Int(byte >> (7 - UInt8(bitOffset & 7)) & 1)
            bitOffset += 1
        }
        return value
    }
}
