/// FoundationXML's parser traps (a force unwrap inside Foundation, so the whole bot would stop) when
/// libxml2 hands it a name that is not UTF-8 or a processing instruction without data. Each was found
/// by fuzzing (`<\xD6l r`, `<?x?>`, a `<?xmlpp\xFFp …?>` posing as a declaration of another encoding).
/// Such documents are refused before the XML parser sees them.
enum XMLParserTrapGuard {
    static func check(_ bytes: ArraySlice<UInt8>) throws {
        // libxml2 converts a declared single-byte encoding to UTF-8 before Foundation sees names; any other
        // document must be UTF-8 as it is.
        if !declaresConvertedEncoding(bytes), String(validating: bytes, as: UTF8.self) == nil {
            throw NewsError(.malformed, "malformed XML: not UTF-8 and no single-byte encoding declared")
        }
        var index = bytes.startIndex
        while let open = bytes[index...].firstRange(of: Array("<?".utf8)) {
            index = open.upperBound
            let target = bytes[index...].prefix { !NewsFeedParser.isXMLSpace($0) && $0 != UInt8(ascii: "?") }
            if bytes[(index + target.count)...].starts(with: "?>".utf8) {
                throw NewsError(.refused, "refused: a processing instruction without data")
            }
        }
    }

    /// Encodings every byte of which libxml2 maps to a character, so its output is always UTF-8.
    static let convertedEncodings: Set<String> = ["iso-8859-1", "latin1", "iso-8859-15", "windows-1252"]

    private static func declaresConvertedEncoding(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.starts(with: "<?xml".utf8), bytes.dropFirst(5).first.map(NewsFeedParser.isXMLSpace) == true,
              let end = bytes.firstRange(of: Array("?>".utf8)) else { return false }
        let declaration = String(decoding: bytes[bytes.startIndex..<end.lowerBound], as: UTF8.self).lowercased()
        guard let encoding = declaration.range(of: "encoding") else { return false }
        let value = declaration[encoding.upperBound...].drop { " =\"'\t\r\n".contains($0) }
            .prefix { !" \"'\t\r\n".contains($0) }
        return convertedEncodings.contains(String(value))
    }
}
