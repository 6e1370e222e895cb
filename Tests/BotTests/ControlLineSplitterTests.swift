import OperatorInput
import Testing

/// The control socket's framing, on its own: what a client writes in any pieces comes out as the same lines.
@Suite struct ControlLineSplitterTests {
    @Test func linesAcrossReadsAndTheLastOneWithoutANewline() {
        var splitter = ControlLineSplitter()
        #expect(splitter.take(Array("hel".utf8)).isEmpty)
        #expect(splitter.take(Array("lo\r\nsecond\n\nthi".utf8)) == ["hello", "second", ""])
        #expect(splitter.take(Array("rd".utf8)).isEmpty)
        #expect(splitter.finish() == "third")
        #expect(splitter.finish() == nil)
        #expect(splitter.droppedLines == 0)
    }

    /// A line over the limit is dropped whole, however it arrives, and no more than the limit is ever held:
    /// before, a long line that came with its newline in one read went through whole.
    @Test func anOverlongLineIsDroppedWholeHoweverItArrives() {
        let long = String(repeating: "x", count: ControlLineSplitter.maximumLineBytes + 1)
        var inOneRead = ControlLineSplitter()
        #expect(inOneRead.take(Array("a\n\(long)\nb\n".utf8)) == ["a", "b"])
        #expect(inOneRead.droppedLines == 1)

        var inPieces = ControlLineSplitter()
        var lines: [String] = []
        for piece in Array("a\n\(long)\nb\n".utf8).chunks(of: 1000) { lines += inPieces.take(piece) }
        #expect(lines == ["a", "b"])
        #expect(inPieces.droppedLines == 1)

        var unfinished = ControlLineSplitter()
        #expect(unfinished.take(Array(long.utf8)).isEmpty)
        #expect(unfinished.finish() == nil)
        #expect(unfinished.droppedLines == 1)

        let atTheLimit = String(repeating: "y", count: ControlLineSplitter.maximumLineBytes)
        var exact = ControlLineSplitter()
        #expect(exact.take(Array("\(atTheLimit)\n".utf8)) == [atTheLimit])
    }
}

extension Array {
    fileprivate func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min(count, $0 + size)] }
    }
}
