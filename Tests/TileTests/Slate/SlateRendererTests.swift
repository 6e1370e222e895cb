import Testing
@testable import Tile

struct SlateRendererTests {
    static let content = SlateRenderer.Content(botName: "EngageBot", elapsedSeconds: 754)

    @Test func clockShowsHoursMinutesSeconds() {
        #expect(SlateRenderer.clockText(elapsedSeconds: 0) == "00:00:00")
        #expect(SlateRenderer.clockText(elapsedSeconds: 754) == "00:12:34")
        #expect(SlateRenderer.clockText(elapsedSeconds: 93_789) == "26:03:09")
        #expect(SlateRenderer.clockText(elapsedSeconds: -5) == "00:00:00")
    }

    @Test func defaultFrameIs320x180I420() {
        var renderer = SlateRenderer()
        renderer.render(Self.content)
        #expect(renderer.frame.width == 320 && renderer.frame.height == 180)
        #expect(renderer.frame.bytes.count == 320 * 180 + 2 * 160 * 90)
        #expect(renderer.frame.color(x: 319, y: 179) == SlateRenderer.background)
    }

    @Test func recordDotIsRedInYUV() {
        var renderer = SlateRenderer()
        renderer.render(Self.content)
        let layout = SlateRenderer.Layout(width: 320, height: 180)
        let dot = renderer.frame.color(x: layout.dotCenterX, y: layout.dotCenterY)
        #expect(dot == SlateRenderer.recordRed)
        // Red in BT.601 terms: strong Cr, weak Cb, middling luma.
        #expect(dot.v > 200 && dot.u < 110 && (60...120).contains(dot.y))
        let background = SlateRenderer.background
        #expect(background.y < 40 && (120...136).contains(background.u) && (120...136).contains(background.v))
    }

    @Test func textLinesPutLightPixelsWhereTheyBelong() {
        var renderer = SlateRenderer()
        renderer.render(Self.content)
        let layout = SlateRenderer.Layout(width: 320, height: 180)
        func lightPixels(rows: Range<Int>) -> Int {
            rows.reduce(0) { sum, y in sum + (0..<320).filter { renderer.frame.color(x: $0, y: y).y > 128 }.count }
        }
        let glyphHeight = BitmapFont.glyphHeight * layout.scale
        #expect(lightPixels(rows: layout.titleY..<(layout.titleY + glyphHeight)) > 500)
        #expect(lightPixels(rows: layout.byY..<(layout.byY + glyphHeight)) > 200)
        #expect(lightPixels(rows: layout.clockY..<(layout.clockY + BitmapFont.glyphHeight * layout.clockScale)) > 300)
        // Nothing between the lines.
        #expect(lightPixels(rows: (layout.titleY + glyphHeight)..<layout.byY) == 0)
    }

    @Test func titleIsDrawnAsItsGlyphs() {
        var renderer = SlateRenderer()
        renderer.render(Self.content)
        let layout = SlateRenderer.Layout(width: 320, height: 180)
        // "T" is the first glyph: its top row is five lit cells, its second row only the middle one.
        let scale = layout.scale
        let top = (0..<5).map { renderer.frame.color(x: layout.margin + $0 * scale, y: layout.titleY).y > 128 }
        let second = (0..<5).map { renderer.frame.color(x: layout.margin + $0 * scale, y: layout.titleY + scale).y > 128 }
        #expect(top == [true, true, true, true, true])
        #expect(second == [false, false, true, false, false])
    }

    @Test func differentElapsedTimesDifferOnlyInTheClock() {
        var first = SlateRenderer(), second = SlateRenderer()
        first.render(Self.content)
        second.render(.init(botName: "EngageBot", elapsedSeconds: 755))
        let layout = SlateRenderer.Layout(width: 320, height: 180)
        var differing: [Int] = []
        for y in 0..<180 where (0..<320).contains(where: { first.frame.color(x: $0, y: y) != second.frame.color(x: $0, y: y) }) {
            differing.append(y)
        }
        #expect(!differing.isEmpty)
        // At scale 3 the clock's last cell row ends mid chroma block, so that block's second row may change too.
        let clockEnd = (layout.clockY + BitmapFont.glyphHeight * layout.clockScale + 1) & ~1
        #expect(differing.allSatisfy { $0 >= layout.clockY && $0 < clockEnd }, "rows \(differing)")
    }

    @Test func rendersOnlyWhenContentChanges() {
        var renderer = SlateRenderer()
        let first = renderer.render(Self.content)
        let same = renderer.render(Self.content)
        let next = renderer.render(.init(botName: "EngageBot", elapsedSeconds: 755))
        #expect(first && !same && next)
        #expect(renderer.content?.elapsedSeconds == 755)
    }

    @Test func rerenderingReusesTheFrameBuffer() {
        var renderer = SlateRenderer()
        renderer.render(Self.content)
        let before = renderer.frame.bytes.withUnsafeBufferPointer { $0.baseAddress }
        renderer.render(.init(botName: "EngageBot", elapsedSeconds: 755))
        let after = renderer.frame.bytes.withUnsafeBufferPointer { $0.baseAddress }
        #expect(before == after)
    }

    @Test func nonASCIINameLooksLikeQuestionMarks() {
        var accented = SlateRenderer(), replaced = SlateRenderer()
        accented.render(.init(botName: "Bøt Zoë", elapsedSeconds: 1))
        replaced.render(.init(botName: "B?t Zo?", elapsedSeconds: 1))
        #expect(accented.frame == replaced.frame)
    }

    @Test func longNameIsCutWithAnEllipsisInsideTheFrame() {
        var long = SlateRenderer(), cut = SlateRenderer()
        long.render(.init(botName: String(repeating: "W", count: 200), elapsedSeconds: 1))
        // 24 cells fit at 320 px: "by " + 18 W + "...".
        cut.render(.init(botName: String(repeating: "W", count: 18) + "...", elapsedSeconds: 1))
        #expect(long.frame == cut.frame)
        let layout = SlateRenderer.Layout(width: 320, height: 180)
        for y in layout.byY..<(layout.byY + BitmapFont.glyphHeight * layout.scale) {
            #expect((320 - layout.margin..<320).allSatisfy { long.frame.color(x: $0, y: y) == SlateRenderer.background })
        }
    }

    @Test(arguments: [(64, 36), (321, 181), (640, 360), (2, 2)])
    func anySizeRendersWithoutTrapping(width: Int, height: Int) {
        var renderer = SlateRenderer(width: width, height: height)
        renderer.render(Self.content)
        #expect(renderer.frame.bytes.count == width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2))
    }
}
