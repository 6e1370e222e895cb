import Foundation
import FuzzTargets
import Testing

/// The committed corpora (seeds, and every input that once crashed a target) run through their targets in
/// the normal build: a finding fixed stays fixed, and every target keeps building and running without the
/// sanitizers.
@Suite struct CorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/Corpus")

    static func inputs(of target: FuzzTarget) throws -> [URL] {
        let folder = corpus.appendingPathComponent(target.name)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func committedCorpusRunsCleanly(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let inputs = try Self.inputs(of: target)
        #expect(!inputs.isEmpty, "Fuzz/Corpus/\(name) is empty")
        for input in inputs { target.run(Array(try Data(contentsOf: input))) }
    }
}
