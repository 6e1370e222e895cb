import Testing
@testable import Recorder

@Suite struct FileNamingTests {
    @Test(arguments: [
        ("alice", "alice"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("..", "participant"),
        ("", "participant"),
        ("a/b\\c\u{0}d\u{7}", "a_b_c_d_"),
        ("Zoë Müller", "Zoë Müller"),
        (" .hidden ", "hidden"),
        // A combining mark makes ".\u{345}" one Character, so stripping by Character left the dot in front.
        (".\u{345}hidden", "\u{345}hidden"),
        ("..\u{345}", "\u{345}"),
    ])
    func namesStayInsideTheFolder(input: String, expected: String) {
        let stem = FileNaming.sanitize(input)
        #expect(stem == expected)
        #expect(!stem.contains("/"))
        #expect(stem.utf8.first != UInt8(ascii: "."), "a hidden file: \(stem.unicodeScalars.map { $0.value })")
    }

    @Test func longNamesAreCut() {
        #expect(FileNaming.sanitize(String(repeating: "x", count: 10_000)).count == FileNaming.maximumStemLength)
    }

    @Test func namesThatSanitizeAlikeGetSeparateStems() {
        var naming = FileNaming()
        #expect(naming.uniqueStem(for: "a/b") == "a_b")
        #expect(naming.uniqueStem(for: "a?b") == "a_b-2")
        #expect(naming.uniqueStem(for: "A_B") == "A_B-3")
        #expect(naming.uniqueStem(for: "alice", suffix: " (screen)") == "alice (screen)")
    }
}
