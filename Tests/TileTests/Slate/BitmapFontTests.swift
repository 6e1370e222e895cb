import Testing
@testable import Tile

struct BitmapFontTests {
    @Test func coversPrintableASCIIWithFiveByEightGlyphs() {
        #expect(BitmapFont.pictures.count == 95)
        for (index, picture) in BitmapFont.pictures.enumerated() {
            let rows = picture.split(separator: "|")
            #expect(rows.count == 8, "glyph \(index + 32)")
            #expect(rows.allSatisfy { $0.count == 5 && $0.allSatisfy { $0 == "#" || $0 == "." } }, "glyph \(index + 32)")
        }
    }

    @Test func onlySpaceIsBlankAndNoTwoGlyphsLookAlike() {
        var seen: [[UInt8]: UInt8] = [:]
        for code in BitmapFont.firstCode...BitmapFont.lastCode {
            let glyph = (0..<BitmapFont.glyphHeight).map { BitmapFont.rowBits(code: code, row: $0) }
            #expect(glyph.contains { $0 != 0 } == (code != 32), "glyph \(code)")
            #expect(seen.updateValue(code, forKey: glyph) == nil, "glyph \(code) duplicates another")
        }
    }

    @Test func drawsAnythingOutsidePrintableASCIIAsQuestionMark() {
        let question = UInt8(ascii: "?")
        #expect(BitmapFont.codes(for: "Bot ü\t😀e\u{301}") == [66, 111, 116, 32, question, question, question, question])
    }
}
