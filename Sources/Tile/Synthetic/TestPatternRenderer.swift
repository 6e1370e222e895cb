import Mesh

/// Draws a synthetic participant's camera (or "screen"): scrolling colour bars, a bouncing square,
/// a band of noise, the participant's name and a running clock.
///
/// Everything moves every frame, so a recording shows at a glance whether frames were lost or frozen, and
/// the clock (to the millisecond of the frame's slot) ties a picture to a moment. The noise band gives the
/// encoder real work: without it a CBR encoder would spend a fraction of a 1 Mbps budget, and a load test
/// at "1 Mbps" would be sending much less. `noiseFraction` sets how much of the height it covers.
///
/// The noise comes from a generator seeded by the frame number, so equal inputs draw identical frames.
public struct TestPatternRenderer: Sendable {
    public struct Content: Sendable, Hashable {
        public var name: String
        /// Shown small above the name, e.g. "camera" or "screen".
        public var label: String
        public var frameNumber: Int64
        public var elapsedMilliseconds: Int64

        public init(name: String, label: String = "camera", frameNumber: Int64, elapsedMilliseconds: Int64) {
            self.name = name
            self.label = label
            self.frameNumber = frameNumber
            self.elapsedMilliseconds = elapsedMilliseconds
        }
    }

    /// Seventy-five percent bars, as on a broadcast test card.
    static let bars: [YUVColor] = [
        YUVColor(red: 191, green: 191, blue: 191), YUVColor(red: 191, green: 191, blue: 0),
        YUVColor(red: 0, green: 191, blue: 191), YUVColor(red: 0, green: 191, blue: 0),
        YUVColor(red: 191, green: 0, blue: 191), YUVColor(red: 191, green: 0, blue: 0),
        YUVColor(red: 0, green: 0, blue: 191), YUVColor(red: 16, green: 16, blue: 16),
    ]
    static let panel = YUVColor(red: 10, green: 10, blue: 14)
    static let text = YUVColor(red: 245, green: 245, blue: 245)
    static let accent = YUVColor(red: 255, green: 200, blue: 40)

    public private(set) var frame: I420Frame
    public let noiseFraction: Double
    /// Shifts the hue of the noise and the square, so two participants' pictures differ beyond their names.
    public let tint: Int

    public init(width: Int = 640, height: Int = 480, noiseFraction: Double = 0.25, tint: Int = 0) {
        frame = I420Frame(width: width, height: height)
        self.noiseFraction = min(max(noiseFraction, 0), 1)
        self.tint = tint
    }

    /// "HH:MM:SS.mmm" of a frame's slot.
    public static func clockText(elapsedMilliseconds: Int64) -> String {
        let milliseconds = Int(max(elapsedMilliseconds, 0))
        let seconds = milliseconds / 1000
        let fraction = String(milliseconds % 1000)
        return SlateRenderer.clockText(elapsedSeconds: seconds) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    public mutating func render(_ content: Content) {
        let width = frame.width, height = frame.height
        var canvas = Canvas(frame: frame)
        // Move the buffer out while drawing so the array stays uniquely referenced and is mutated in place.
        frame = I420Frame(width: 1, height: 1)
        let scale = max(1, min(width / 160, height / 120))
        let noiseHeight = Int(Double(height) * noiseFraction) & ~1
        let barsHeight = height - noiseHeight
        let margin = 6 * scale
        let lineHeight = 10 * scale
        let panelHeight = margin + lineHeight * 3 + 14 * scale

        // Bars scroll left by 2 px per frame (one chroma sample, so colours stay crisp), wrapping around.
        let barWidth = max(2, (width / Self.bars.count) & ~1)
        let cycle = barWidth * Self.bars.count
        let shift = Int((content.frameNumber * 2) % Int64(cycle))
        var x = -shift
        var index = 0
        while x < width {
            canvas.fillRect(x: x, y: 0, width: barWidth, height: barsHeight, Self.bars[index % Self.bars.count])
            x += barWidth
            index += 1
        }

        // A square bouncing between the text panel and the noise band, so nothing drawn later hides it.
        let top = min(panelHeight, barsHeight)
        let side = max(2, (min(width, barsHeight - top) / 4) & ~1)
        let travelX = max(1, width - side), travelY = max(1, barsHeight - top - side)
        let step = content.frameNumber * Int64(3 * scale)
        let squareX = Self.bounce(step, travelX) & ~1, squareY = (top + Self.bounce(step * 2 / 3, travelY)) & ~1
        canvas.fillRect(x: squareX, y: squareY, width: side, height: side,
                        YUVColor(y: 200, u: UInt8(truncatingIfNeeded: 60 + tint * 37), v: UInt8(truncatingIfNeeded: 190 - tint * 23)))

        // Noise in 4x4 blocks: fine enough to cost bits, coarse enough to draw cheaply.
        if noiseHeight > 0 {
            var random = SplitMix64(seed: UInt64(bitPattern: content.frameNumber) &* 0x9E37_79B9 &+ UInt64(tint))
            let block = 4
            var y = barsHeight
            while y < height {
                var column = 0
                while column < width {
                    let bits = random.next()
                    let luma = UInt8(16 + bits % 220)
                    let u = UInt8(truncatingIfNeeded: 128 + Int((bits >> 8) % 32) - 16 + tint * 5)
                    let v = UInt8(truncatingIfNeeded: 128 + Int((bits >> 16) % 32) - 16 - tint * 5)
                    canvas.fillRect(x: column, y: y, width: block, height: block, YUVColor(y: luma, u: u, v: v))
                    column += block
                }
                y += block
            }
        }

        // The text panel: label, name, clock and frame number, on a dark box so they read on any bar.
        canvas.fillRect(x: 0, y: 0, width: width, height: min(panelHeight, barsHeight), Self.panel)
        let textWidth = max(0, width - 2 * margin)
        canvas.draw(content.label.uppercased(), x: margin, y: margin, scale: scale, Self.accent, maxWidth: textWidth)
        canvas.draw(content.name, x: margin, y: margin + lineHeight, scale: scale + 1, Self.text, maxWidth: textWidth)
        let clock = Self.clockText(elapsedMilliseconds: content.elapsedMilliseconds) + "  #\(content.frameNumber)"
        canvas.draw(clock, x: margin, y: margin + lineHeight * 2 + 6 * scale, scale: scale, Self.text, maxWidth: textWidth)
        frame = canvas.frame
    }

    /// A triangle wave: 0 up to `travel`, back down to 0, and again.
    static func bounce(_ position: Int64, _ travel: Int) -> Int {
        let period = Int64(2 * travel)
        let phase = Int(((position % period) + period) % period)
        return phase <= travel ? phase : 2 * travel - phase
    }
}
