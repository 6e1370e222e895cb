/// Draws the bot's slate: a red REC dot, "This meeting is recorded", "by <bot name>" and the elapsed time.
///
/// The renderer owns one frame and redraws it in place, so a running tile allocates nothing per frame.
/// It redraws only when the text changes (once a second for the clock); `render` says whether it did.
///
/// Layout scales with the frame: the pixel size of the font is `min(width / 160, height / 90)` (2 at 320x180),
/// the clock one step larger. Every position is even, so at scale 2 each font cell covers exactly one chroma
/// sample and coloured strokes stay crisp. Text that does not fit is cut with "..."; anything outside the frame
/// is clipped.
public struct SlateRenderer: Sendable {
    /// What the slate shows; equal contents draw identical frames.
    public struct Content: Sendable, Hashable {
        public var title: String
        public var botName: String
        public var elapsedSeconds: Int

        public init(title: String = SlateRenderer.defaultTitle, botName: String, elapsedSeconds: Int) {
            self.title = title
            self.botName = botName
            self.elapsedSeconds = elapsedSeconds
        }
    }

    public static let defaultTitle = "This meeting is recorded"

    public static let background = YUVColor(red: 18, green: 20, blue: 28)
    public static let recordRed = YUVColor(red: 230, green: 28, blue: 28)
    public static let primaryText = YUVColor(red: 240, green: 240, blue: 240)
    public static let secondaryText = YUVColor(red: 170, green: 175, blue: 185)

    public private(set) var frame: I420Frame
    /// What `frame` shows now; nil before the first render.
    public private(set) var content: Content?

    public init(width: Int = 320, height: Int = 180) {
        frame = I420Frame(width: width, height: height, fill: Self.background)
    }

    /// Hours grow past two digits rather than wrap, so a day-long meeting reads "26:03:09".
    public static func clockText(elapsedSeconds: Int) -> String {
        let total = max(elapsedSeconds, 0)
        let hours = total / 3600, minutes = total / 60 % 60, seconds = total % 60
        return "\(twoDigits(hours)):\(twoDigits(minutes)):\(twoDigits(seconds))"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Redraws the frame if `content` differs from what it shows; returns whether it did.
    @discardableResult
    public mutating func render(_ content: Content) -> Bool {
        guard content != self.content else { return false }
        self.content = content
        let layout = Layout(width: frame.width, height: frame.height)
        var canvas = Canvas(frame: frame)
        // Move the buffer out while drawing so the frame's array stays uniquely referenced and is mutated in place.
        frame = I420Frame(width: 1, height: 1)
        canvas.fill(Self.background)
        canvas.fillCircle(centerX: layout.dotCenterX, centerY: layout.dotCenterY, radius: layout.dotRadius, Self.recordRed)
        canvas.draw("REC", x: layout.recX, y: layout.recY, scale: layout.scale, Self.recordRed, maxWidth: layout.textWidth)
        canvas.draw(content.title, x: layout.margin, y: layout.titleY, scale: layout.scale, Self.primaryText, maxWidth: layout.textWidth)
        canvas.draw(
            "by " + content.botName, x: layout.margin, y: layout.byY, scale: layout.scale, Self.secondaryText,
            maxWidth: layout.textWidth)
        canvas.draw(
            Self.clockText(elapsedSeconds: content.elapsedSeconds), x: layout.margin, y: layout.clockY,
            scale: layout.clockScale, Self.primaryText, maxWidth: layout.textWidth)
        frame = canvas.frame
        return true
    }

    /// Where things go, in luma pixels; all even.
    struct Layout {
        let scale: Int
        let clockScale: Int
        let margin: Int
        let textWidth: Int
        let dotCenterX: Int, dotCenterY: Int, dotRadius: Int
        let recX: Int, recY: Int
        let titleY: Int, byY: Int, clockY: Int

        init(width: Int, height: Int) {
            scale = max(1, min(width / 160, height / 90))
            clockScale = scale + 1
            margin = 8 * scale
            textWidth = max(0, width - 2 * margin)
            dotRadius = 5 * scale
            dotCenterX = margin + dotRadius
            dotCenterY = margin + dotRadius
            recX = margin + 2 * dotRadius + 4 * scale
            // Centres the capitals of "REC" on the dot.
            recY = (dotCenterY - (BitmapFont.capHeight * scale) / 2) & ~1
            titleY = margin + 24 * scale
            byY = titleY + 12 * scale
            clockY = byY + 16 * scale
        }
    }
}

/// Drawing primitives on an I420 frame. Shapes set the chroma of every 2x2 block they touch.
struct Canvas {
    var frame: I420Frame

    mutating func fill(_ color: YUVColor) {
        let lumaCount = frame.lumaCount, chromaCount = frame.chromaCount
        frame.bytes.withUnsafeMutableBufferPointer { bytes in
            bytes[0..<lumaCount].update(repeating: color.y)
            bytes[lumaCount..<(lumaCount + chromaCount)].update(repeating: color.u)
            bytes[(lumaCount + chromaCount)...].update(repeating: color.v)
        }
    }

    /// A disc whose centre is the corner between four pixels, so it is symmetric and its diameter even.
    mutating func fillCircle(centerX: Int, centerY: Int, radius: Int, _ color: YUVColor) {
        let limit = 4 * radius * radius
        for y in (centerY - radius)..<(centerY + radius) {
            let dy = 2 * (y - centerY) + 1
            for x in (centerX - radius)..<(centerX + radius) {
                let dx = 2 * (x - centerX) + 1
                if dx * dx + dy * dy <= limit { setPixel(x: x, y: y, color) }
            }
        }
    }

    mutating func fillRect(x: Int, y: Int, width: Int, height: Int, _ color: YUVColor) {
        let x0 = max(x, 0), y0 = max(y, 0)
        let x1 = min(x + width, frame.width), y1 = min(y + height, frame.height)
        guard x0 < x1, y0 < y1 else { return }
        let lumaCount = frame.lumaCount, chromaCount = frame.chromaCount
        let stride = frame.width, chromaStride = frame.chromaWidth
        frame.bytes.withUnsafeMutableBufferPointer { bytes in
            for row in y0..<y1 {
                bytes[(row * stride + x0)..<(row * stride + x1)].update(repeating: color.y)
            }
            for row in (y0 / 2)...((y1 - 1) / 2) {
                let start = row * chromaStride + x0 / 2, end = row * chromaStride + (x1 - 1) / 2 + 1
                bytes[(lumaCount + start)..<(lumaCount + end)].update(repeating: color.u)
                bytes[(lumaCount + chromaCount + start)..<(lumaCount + chromaCount + end)].update(repeating: color.v)
            }
        }
    }

    /// Draws `text` with its top-left corner at (x, y), each font cell `scale` pixels square.
    /// Text wider than `maxWidth` loses its tail to "...".
    mutating func draw(_ text: String, x: Int, y: Int, scale: Int, _ color: YUVColor, maxWidth: Int) {
        let advance = BitmapFont.advance * scale
        // The last glyph needs no trailing gap.
        let fitting = max(0, (maxWidth + scale) / advance)
        var codes = BitmapFont.codes(for: text)
        if codes.count > fitting {
            let ellipsis = [UInt8](repeating: UInt8(ascii: "."), count: min(3, fitting))
            codes = Array(codes.prefix(fitting - ellipsis.count)) + ellipsis
        }
        for (index, code) in codes.enumerated() where code != UInt8(ascii: " ") {
            let left = x + index * advance
            for row in 0..<BitmapFont.glyphHeight {
                let bits = BitmapFont.rowBits(code: code, row: row)
                guard bits != 0 else { continue }
                for column in 0..<BitmapFont.glyphWidth where bits & (0x10 >> column) != 0 {
                    fillRect(x: left + column * scale, y: y + row * scale, width: scale, height: scale, color)
                }
            }
        }
    }

    private mutating func setPixel(x: Int, y: Int, _ color: YUVColor) {
        guard x >= 0, y >= 0, x < frame.width, y < frame.height else { return }
        let chromaIndex = (y / 2) * frame.chromaWidth + x / 2
        let lumaCount = frame.lumaCount, chromaCount = frame.chromaCount
        frame.bytes[y * frame.width + x] = color.y
        frame.bytes[lumaCount + chromaIndex] = color.u
        frame.bytes[lumaCount + chromaCount + chromaIndex] = color.v
    }
}
