// Pure-Swift text helpers for SDP: Mesh avoids Foundation, and SDP is ASCII by grammar.

extension Substring {
    /// Space-separated fields; SDP uses single spaces but peers occasionally emit doubles or tabs.
    var sdpFields: [Substring] {
        split(whereSeparator: { $0 == " " || $0 == "\t" })
    }

    var sdpTrimmed: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }

    /// Splits at the first occurrence of `separator`; the separator itself belongs to neither side.
    func splitOnce(_ separator: Character) -> (Substring, Substring?) {
        guard let index = firstIndex(of: separator) else { return (self, nil) }
        return (self[startIndex..<index], self[self.index(after: index)...])
    }
}

/// Decimal digits only: `Int("+5")` and `Int("-0")` succeed, which no SDP field allows.
func sdpDecimal<T: FixedWidthInteger>(_ text: Substring, as type: T.Type = T.self) -> T? {
    guard !text.isEmpty, text.utf8.count <= 20, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
        return nil
    }
    return T(text, radix: 10)
}

/// Keeps error messages readable and bounded when the offending input is huge or binary.
func sdpQuoted(_ text: Substring) -> String {
    let limit = 60
    let shown = text.unicodeScalars.prefix(limit).map { scalar -> String in
        scalar.value >= 0x20 && scalar.value < 0x7f ? String(scalar) : "\\u{\(String(scalar.value, radix: 16))}"
    }.joined()
    return "'" + shown + (text.unicodeScalars.count > limit ? "…'" : "'")
}
