@testable import MeetingKit
import Foundation
import Testing

/// `RecordingFile.append(contentsOf:)` gathers a batch of blocks into `writev` calls of up to
/// `gatheredPiecesPerCall` pieces: the file must hold exactly the pieces, in order, whatever the batch.
@Suite struct RecordingFileTests {
    @Test func gatheredWritesKeepEveryPieceInOrder() throws {
        let directory = try RecordingRepairTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gathered.webm").path
        let file = RecordingFile(path: path)
        var generator = SystemRandomNumberGenerator()
        var expected: [UInt8] = []
        // Batches of 1, 63, 64, 65 and 200 pieces (empty ones among them) and pieces up to 300 KB.
        for batchSize in [1, 63, 64, 65, 200, 3] {
            var batch: [[UInt8]] = []
            for index in 0..<batchSize {
                let length = index % 7 == 3 ? 0 : (index == 1 ? 300_000 : Int.random(in: 1...2_000, using: &generator))
                let piece = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                batch.append(piece)
                expected += piece
            }
            try file.append(contentsOf: batch)
        }
        #expect(file.bytesWritten == expected.count)
        file.close()
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written.count == expected.count)
        #expect(written == expected)
    }
}
