/// Feeds are UTF-8 nearly always; a few still declare a single-byte encoding. `XMLReader` reads UTF-8 only, so
/// those are converted first, and anything else that is not UTF-8 is refused with a sentence saying why.
enum XMLEncoding {
    /// The document as UTF-8 (the XML declaration is left as it was: the reader does not consult it).
    static func utf8(_ bytes: ArraySlice<UInt8>) throws(NewsError) -> [UInt8] {
        let declared = declaredEncoding(bytes)
        if let declared, let table = singleByteTables[declared] {
            guard bytes.contains(where: { $0 >= 0x80 }) else { return Array(bytes) }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count + bytes.count / 8)
            for byte in bytes {
                if byte < 0x80 {
                    output.append(byte)
                } else {
                    output.append(contentsOf: String(Character(table(byte))).utf8)
                }
            }
            return output
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            if let declared, !utf8Names.contains(declared) {
                throw NewsError(.unsupported, "the document's encoding \(declared.prefix(40)) is not supported")
            }
            throw NewsError(.malformed, "malformed XML: not UTF-8 and no single-byte encoding declared")
        }
        return Array(bytes)
    }

    static let utf8Names: Set<String> = ["utf-8", "utf8", "us-ascii", "ascii"]

    static let singleByteTables: [String: @Sendable (UInt8) -> Unicode.Scalar] = [
        "iso-8859-1": latin1, "latin1": latin1, "iso_8859-1": latin1, "l1": latin1,
        "windows-1252": windows1252, "cp1252": windows1252,
        "iso-8859-15": latin9, "latin-9": latin9, "latin9": latin9,
    ]

    private static func latin1(_ byte: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(byte)
    }

    /// ISO-8859-15 is Latin-1 with eight places changed (the euro sign among them).
    private static func latin9(_ byte: UInt8) -> Unicode.Scalar {
        switch byte {
        case 0xA4: "\u{20AC}"
        case 0xA6: "\u{0160}"
        case 0xA8: "\u{0161}"
        case 0xB4: "\u{017D}"
        case 0xB8: "\u{017E}"
        case 0xBC: "\u{0152}"
        case 0xBD: "\u{0153}"
        case 0xBE: "\u{0178}"
        default: Unicode.Scalar(byte)
        }
    }

    /// Windows-1252 puts printable characters where Latin-1 has C1 controls; its five unassigned bytes stay
    /// the control of the same value, as browsers decode them.
    private static let windows1252High: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D,
        0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0x009D, 0x017E, 0x0178,
    ]

    private static func windows1252(_ byte: UInt8) -> Unicode.Scalar {
        guard (0x80...0x9F).contains(byte) else { return Unicode.Scalar(byte) }
        return Unicode.Scalar(windows1252High[Int(byte) - 0x80]) ?? Unicode.Scalar(byte)
    }

    /// The `encoding` of an XML declaration at the very start, lowercased.
    static func declaredEncoding(_ bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.starts(with: "<?xml".utf8), bytes.dropFirst(5).first.map(NewsFeedParser.isXMLSpace) == true,
              let end = bytes.prefix(512).firstRange(of: Array("?>".utf8)) else { return nil }
        let declaration = String(decoding: bytes[bytes.startIndex..<end.lowerBound], as: UTF8.self).lowercased()
        guard let encoding = declaration.range(of: "encoding") else { return nil }
        let value = declaration[encoding.upperBound...].drop { " =\"'\t\r\n".contains($0) }
            .prefix { !" \"'\t\r\n?".contains($0) }
        return value.isEmpty ? nil : String(value)
    }
}
