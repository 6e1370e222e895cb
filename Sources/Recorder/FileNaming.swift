/// Turns free-text participant names into file names that stay inside the session folder.
///
/// Names come from the network: they may hold `/`, `..`, control characters or kilobytes of text.
/// Only letters, digits and a few separators survive; everything else becomes `_`. Two names that
/// sanitize alike are told apart by a counter, so no file is ever overwritten.
public struct FileNaming: Sendable {
    public static let maximumStemLength = 64
    private var used: Set<String> = []

    public init() {}

    public static func sanitize(_ name: String) -> String {
        var stem = ""
        for scalar in name.unicodeScalars {
            if stem.unicodeScalars.count >= maximumStemLength { break }
            let properties = scalar.properties
            if properties.isAlphabetic || properties.numericType != nil {
                stem.unicodeScalars.append(scalar)
            } else if scalar == " " || scalar == "-" || scalar == "_" || scalar == "." {
                stem.unicodeScalars.append(scalar)
            } else {
                stem.unicodeScalars.append("_")
            }
        }
        // Leading dots would hide the file or walk upwards; edge spaces confuse shells. By scalar, not by
        // Character: a dot followed by a combining mark (".\u{345}") is one Character that is not ".", and
        // the file it named was hidden.
        while let first = stem.unicodeScalars.first, first == "." || first == " " { stem.unicodeScalars.removeFirst() }
        while let last = stem.unicodeScalars.last, last == " " || last == "." { stem.unicodeScalars.removeLast() }
        return stem.isEmpty ? "participant" : stem
    }

    /// A stem not handed out before in this session: `alice`, then `alice-2`, `alice-3`...
    public mutating func uniqueStem(for name: String, suffix: String = "") -> String {
        let base = FileNaming.sanitize(name) + suffix
        var candidate = base
        var counter = 2
        while used.contains(candidate.lowercased()) {
            candidate = "\(base)-\(counter)"
            counter += 1
        }
        used.insert(candidate.lowercased())
        return candidate
    }
}
