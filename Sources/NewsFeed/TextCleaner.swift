/// Turns whatever a feed put in a title into one line of plain text for the chat.
///
/// Feeds put HTML (escaped or not) in titles, and a chat line is read by people, not rendered:
/// markup is skipped, entities decoded, control and bidi-override characters dropped.
public enum TextCleaner {
    public static let maximumTitleCharacters = 140

    public static func title(_ raw: String, limit: Int = maximumTitleCharacters) -> String {
        truncate(collapse(decodeEntities(stripTags(raw))), limit: limit)
    }

    /// Skips `<…>` tags and the content of script/style elements. A `<` that cannot start a tag
    /// (as in "a < b") is kept as text.
    public static func stripTags(_ text: String) -> String {
        let characters = Array(text)
        var output = ""
        output.reserveCapacity(text.utf8.count)
        var closers: [Int?]?
        var index = 0
        var skippingUntil: String?
        while index < characters.count {
            let character = characters[index]
            guard character == "<", let end = tagEnd(in: characters, from: index, closers: &closers) else {
                if skippingUntil == nil { output.append(character) }
                index += 1
                continue
            }
            let name = tagName(characters[(index + 1)..<end])
            if let closing = skippingUntil {
                if name == closing { skippingUntil = nil }
            } else if name == "script" || name == "style" {
                skippingUntil = "/" + name
            } else {
                // A tag separates words ("a<br>b" is two words), collapse() tidies the extra space.
                output.append(" ")
            }
            index = end + 1
        }
        return output
    }

    /// The `>` closing a tag that starts at `start`, or nil when `<` is just a character.
    private static func tagEnd(in characters: [Character], from start: Int, closers: inout [Int?]?) -> Int? {
        let next = start + 1
        guard next < characters.count else { return nil }
        let first = characters[next]
        guard first.isLetter || first == "/" || first == "!" || first == "?" else { return nil }
        if closers == nil { closers = closingBrackets(characters) }
        return closers?[next] ?? nil
    }

    /// For every position, the first `>` from there on that no quote opened on the way hides: where a tag
    /// starting just before it ends. Scanning forward from each `<` instead cost quadratic time when none
    /// closes (a feed title of 64 KiB of `<a` kept a core busy for minutes); this is one pass from the end,
    /// carrying the answer for each of the three states a scan can be in (outside quotes, inside `"`, inside `'`).
    private static func closingBrackets(_ characters: [Character]) -> [Int?] {
        var result = [Int?](repeating: nil, count: characters.count)
        var outside: Int?, insideDouble: Int?, insideSingle: Int?
        for index in characters.indices.reversed() {
            let character = characters[index]
            let fromOutside: Int? = switch character {
            case ">": index
            case "\"": insideDouble
            case "'": insideSingle
            default: outside
            }
            if character == "\"" { insideDouble = outside }
            if character == "'" { insideSingle = outside }
            outside = fromOutside
            result[index] = outside
        }
        return result
    }

    private static func tagName(_ inner: ArraySlice<Character>) -> String {
        var name = ""
        for character in inner {
            if character.isLetter || character.isNumber || (character == "/" && name.isEmpty) {
                name.append(character)
            } else {
                break
            }
        }
        return name.lowercased()
    }

    private static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
        "ndash": "–", "mdash": "—", "hellip": "…", "lsquo": "‘", "rsquo": "’",
        "ldquo": "“", "rdquo": "”", "laquo": "«", "raquo": "»", "copy": "©",
        "reg": "®", "trade": "™", "euro": "€", "pound": "£", "middot": "·", "bull": "•",
    ]

    /// Decodes HTML character references; unknown or invalid ones stay as written.
    public static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "&", let semicolon = text[index...].prefix(12).firstIndex(of: ";") else {
                output.append(character)
                index = text.index(after: index)
                continue
            }
            let body = text[text.index(after: index)..<semicolon]
            if let decoded = decodeEntity(body) {
                output.append(decoded)
                index = text.index(after: semicolon)
            } else {
                output.append(character)
                index = text.index(after: index)
            }
        }
        return output
    }

    private static func decodeEntity(_ body: Substring) -> String? {
        if body.hasPrefix("#") {
            let digits = body.dropFirst()
            let value: UInt32?
            if digits.hasPrefix("x") || digits.hasPrefix("X") {
                value = UInt32(digits.dropFirst(), radix: 16)
            } else {
                value = UInt32(digits, radix: 10)
            }
            guard let value, value != 0, let scalar = Unicode.Scalar(value) else { return nil }
            return String(Character(scalar))
        }
        return namedEntities[String(body)]
    }

    /// Control, bidi-override and other invisible formatting characters become spaces or go,
    /// then runs of whitespace become one space.
    public static func collapse(_ text: String) -> String {
        var output = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
                pendingSpace = !output.isEmpty
                continue
            }
            if isInvisibleFormatting(scalar) { continue }
            if pendingSpace {
                output.unicodeScalars.append(" ")
                pendingSpace = false
            }
            output.unicodeScalars.append(scalar)
        }
        return output
    }

    private static func isInvisibleFormatting(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200D:
            // The zero-width joiner holds emoji sequences together.
            return false
        case 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2069, 0xFEFF, 0xFFF9...0xFFFB:
            return true
        default:
            return scalar.properties.generalCategory == .format && scalar.value < 0xE0000
        }
    }

    /// Cuts at the last space within `limit` characters when that keeps most of the text.
    public static func truncate(_ text: String, limit: Int) -> String {
        guard text.count > limit, limit > 1 else { return text }
        let head = text.prefix(limit - 1)
        var cut = head.endIndex
        if let space = head.lastIndex(of: " "), head.distance(from: head.startIndex, to: space) >= limit / 2 {
            cut = space
        }
        var result = String(head[..<cut])
        while result.last == " " { result.removeLast() }
        return result + "…"
    }
}
