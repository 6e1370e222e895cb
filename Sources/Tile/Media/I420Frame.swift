/// An uncompressed 8-bit 4:2:0 picture: a full-resolution luma plane, then half-resolution U and V planes.
///
/// The planes sit back to back in one buffer with no row padding, the layout encoders take without a copy.
/// Odd sizes round the chroma planes up, so the last chroma sample covers a single row or column.
public struct I420Frame: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }
    public var lumaCount: Int { width * height }
    public var chromaCount: Int { chromaWidth * chromaHeight }

    /// Y, then U, then V.
    public internal(set) var bytes: [UInt8]

    /// A frame filled with one colour (studio black by default).
    public init(width: Int, height: Int, fill: YUVColor = .black) {
        precondition(width > 0 && height > 0, "an I420 frame needs a positive size")
        self.width = width
        self.height = height
        let chroma = ((width + 1) / 2) * ((height + 1) / 2)
        bytes = [UInt8](repeating: fill.y, count: width * height)
        bytes.append(contentsOf: repeatElement(fill.u, count: chroma))
        bytes.append(contentsOf: repeatElement(fill.v, count: chroma))
    }

    /// The colour at a luma position: its own luma and the chroma of the 2x2 block it belongs to.
    public func color(x: Int, y: Int) -> YUVColor {
        let chromaIndex = (y / 2) * chromaWidth + x / 2
        return YUVColor(
            y: bytes[y * width + x],
            u: bytes[lumaCount + chromaIndex],
            v: bytes[lumaCount + chromaCount + chromaIndex])
    }
}

/// A colour as limited-range BT.601 Y'CbCr, what VP8 decoders assume when nothing says otherwise.
public struct YUVColor: Sendable, Hashable {
    public var y: UInt8
    public var u: UInt8
    public var v: UInt8

    public init(y: UInt8, u: UInt8, v: UInt8) {
        self.y = y
        self.u = u
        self.v = v
    }

    /// From full-range 8-bit sRGB-ish components, with BT.601 studio-swing coefficients.
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        let r = Int(red), g = Int(green), b = Int(blue)
        // Fixed point (x256) with rounding; results always land inside 16...240, so the clamps are belt and braces.
        let luma = 16 + (66 * r + 129 * g + 25 * b + 128) >> 8
        let cb = 128 + (-38 * r - 74 * g + 112 * b + 128) >> 8
        let cr = 128 + (112 * r - 94 * g - 18 * b + 128) >> 8
        self.init(y: Self.clamp(luma), u: Self.clamp(cb), v: Self.clamp(cr))
    }

    private static func clamp(_ value: Int) -> UInt8 { UInt8(min(max(value, 0), 255)) }

    public static let black = YUVColor(y: 16, u: 128, v: 128)
}
