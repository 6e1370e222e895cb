import Foundation
import Testing

@testable import Bot

/// A bench run deletes what the recorders wrote once it has counted it, keeping what the tables come from:
/// a bench of 20, 100 and 200 participants left 1.4-3.9 GB per run behind and filled the disk.
@Suite struct BenchCleanupTests {
    @Test func mediaFilesGoAndLogsManifestsAndStatsStay() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("engage-bench-cleanup-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = ["recorder.log", "recorder-stats.json", "bench-1/manifest.json", "bench-1/alice.webm",
                     "bench-1/screen/alice-screen.WEBM", "recording/peer-1.ivf", "recording/peer-1.ogg", "x/y/z.mkv",
                     "bench-1/chat.txt"]
        for file in files {
            let path = (folder as NSString).appendingPathComponent(file)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
        }
        BenchRun.removeMedia(under: folder)
        let left = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [])
            .filter { files.contains($0) }.sorted()
        #expect(left == ["bench-1/chat.txt", "bench-1/manifest.json", "recorder-stats.json", "recorder.log"])
    }
}
