/// The XML that feeds are written in, read without libxml2: bytes in, one event at a time out. No I/O.
///
/// Why our own: Foundation's `XMLParser` trapped on some documents (the whole bot stopped) and leaked about a
/// kilobyte for every document libxml2 reported an error in (docs/input-safety.md). A feed needs little of XML:
/// elements, attributes, namespaces, character data, CDATA, and the five predefined entities with character
/// references. This reader does exactly that, in one pass, with bounded state:
/// - no DTD processing: a document type with an internal subset is refused, an external one is never loaded;
/// - any other `&name;` is kept as written (sloppy feeds use HTML entities; `TextCleaner` decodes them later);
/// - end tags must match, and elements nest at most `maximumDepth` deep;
/// - whatever follows the root element is ignored.
/// The input must be UTF-8 (`NewsFeedParser` converts the single-byte encodings it accepts before this).
struct XMLReader {
    struct Element {
        /// The namespace URI the element's prefix (or the default namespace) is bound to; "" when none.
        var namespace: String
        var localName: String
        /// Unprefixed attributes, decoded: the only ones a feed reader consults (Atom's `rel` and `href`).
        var attributes: [String: String]
    }

    enum Event {
        case start(Element)
        case end
        /// Character data as written: `text(_:)` decodes it, only for the text a reader keeps.
        case text(Range<Int>)
        case cdata(Range<Int>)
    }

    static let maximumDepth = 256
    /// Namespace declarations in scope at once; a feed has a handful.
    static let maximumNamespaceDeclarations = 256

    /// Bound to every `xml:` name by the XML Namespaces recommendation, without a declaration.
    static let xmlNamespace = "http://www.w3.org/XML/1998/namespace"

    private let bytes: [UInt8]
    private var position = 0
    /// Qualified names of the open elements, innermost last.
    private var openElements: [ArraySlice<UInt8>] = []
    /// In-scope declarations: the depth that made each, its prefix ("" for the default namespace) and URI.
    private var declarations: [(depth: Int, prefix: String, uri: String)] = []
    private var endOfEmptyElement = false
    private var rootClosed = false

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The next event, nil once the root element has closed.
    mutating func next() throws(NewsError) -> Event? {
        if endOfEmptyElement {
            endOfEmptyElement = false
            close()
            return .end
        }
        if rootClosed { return nil }
        if openElements.isEmpty {
            try skipProlog()
            return .start(try startTag())
        }
        while true {
            guard position < bytes.count else {
                throw malformed("the document ends inside <\(name(openElements[openElements.count - 1]))>")
            }
            guard bytes[position] == Self.lessThan else {
                let start = position
                position = bytes[position...].firstIndex(of: Self.lessThan) ?? bytes.count
                return .text(start..<position)
            }
            if starts(with: "</") {
                return try endTag()
            } else if starts(with: "<!--") {
                try skip(past: Self.commentEnd, what: "comment")
            } else if starts(with: "<![CDATA[") {
                let start = position + 9
                try skip(past: Self.cdataEnd, what: "CDATA section")
                return .cdata(start..<(position - 3))
            } else if starts(with: "<?") {
                try skip(past: Self.processingInstructionEnd, what: "processing instruction")
            } else if starts(with: "<!") {
                throw malformed("markup declaration inside an element")
            } else {
                return .start(try startTag())
            }
        }
    }

    /// Character data with the predefined entities and character references replaced and line ends as `\n`.
    /// `limit` bounds the bytes read, so a caller that keeps a bounded amount never decodes a huge run.
    func text(_ range: Range<Int>, limit: Int = .max) -> String {
        let clamped = range.lowerBound..<(range.lowerBound + min(range.count, max(0, limit)))
        return Self.decode(bytes[clamped], references: true)
    }

    func cdata(_ range: Range<Int>, limit: Int = .max) -> String {
        let clamped = range.lowerBound..<(range.lowerBound + min(range.count, max(0, limit)))
        return Self.decode(bytes[clamped], references: false)
    }

    /// The line the reader has reached, for messages.
    var lineNumber: Int {
        bytes[..<min(position, bytes.count)].reduce(1) { $1 == Self.newline ? $0 + 1 : $0 }
    }

    // MARK: Markup

    private static let lessThan = UInt8(ascii: "<")
    private static let greaterThan = UInt8(ascii: ">")
    private static let slash = UInt8(ascii: "/")
    private static let equals = UInt8(ascii: "=")
    private static let colon = UInt8(ascii: ":")
    private static let ampersand = UInt8(ascii: "&")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    private func starts(with literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        return literal.withUTF8Buffer { literalBytes in
            var index = 0
            while index < count {
                if bytes[position + index] != literalBytes[index] { return false }
                index += 1
            }
            return true
        }
    }

    private mutating func skipSpace() {
        while position < bytes.count, NewsFeedParser.isXMLSpace(bytes[position]) { position += 1 }
    }

    private static let commentEnd = Array("-->".utf8)
    private static let cdataEnd = Array("]]>".utf8)
    private static let processingInstructionEnd = Array("?>".utf8)

    private mutating func skip(past terminator: [UInt8], what: String) throws(NewsError) {
        guard let found = bytes[position...].firstRange(of: terminator) else {
            throw malformed("unterminated \(what)")
        }
        position = found.upperBound
    }

    /// Whitespace, comments, processing instructions and a document type before the root element.
    private mutating func skipProlog() throws(NewsError) {
        while true {
            skipSpace()
            guard position < bytes.count else { throw malformed("no root element") }
            if starts(with: "<?") {
                try skip(past: Self.processingInstructionEnd, what: "processing instruction")
            } else if starts(with: "<!--") {
                try skip(past: Self.commentEnd, what: "comment")
            } else if starts(with: "<!DOCTYPE") || starts(with: "<!doctype") {
                try skipDocumentType()
            } else if bytes[position] == Self.lessThan {
                return
            } else {
                throw malformed("text before the root element")
            }
        }
    }

    /// Only `<!DOCTYPE name PUBLIC "…" "…">` and the like: a `[` opens an internal subset, where entity
    /// declarations live (the billion laughs, external entities), and such documents are refused.
    private mutating func skipDocumentType() throws(NewsError) {
        var quote: UInt8?
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "[") {
                throw NewsError(.refused, "refused: the document declares a DTD internal subset (entity declarations)")
            } else if byte == Self.greaterThan {
                return
            }
        }
        throw malformed("unterminated document type declaration")
    }

    /// A name ends at whitespace or at the markup characters that may follow it.
    private mutating func readName(what: String) throws(NewsError) -> ArraySlice<UInt8> {
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if NewsFeedParser.isXMLSpace(byte) || byte == Self.slash || byte == Self.greaterThan || byte == Self.equals { break }
            if byte == Self.lessThan || byte == Self.ampersand || byte == UInt8(ascii: "\"")
                || byte == UInt8(ascii: "'") {
                throw malformed("\(what) name contains '\(Character(Unicode.Scalar(byte)))'")
            }
            position += 1
        }
        let name = bytes[start..<position]
        guard let first = name.first else { throw malformed("\(what) without a name") }
        if first == UInt8(ascii: "-") || first == UInt8(ascii: ".") || (0x30...0x39).contains(first) {
            throw malformed("\(what) name starts with '\(Character(Unicode.Scalar(first)))'")
        }
        return name
    }

    private mutating func startTag() throws(NewsError) -> Element {
        guard openElements.count < Self.maximumDepth else {
            throw malformed("elements nested deeper than \(Self.maximumDepth)")
        }
        position += 1
        let qualifiedName = try readName(what: "element")
        var attributes: [(name: ArraySlice<UInt8>, value: Range<Int>)] = []
        var empty = false
        while true {
            let spaceStart = position
            skipSpace()
            guard position < bytes.count else { throw malformed("unterminated start tag <\(name(qualifiedName))>") }
            if bytes[position] == Self.greaterThan {
                position += 1
                break
            }
            if bytes[position] == Self.slash {
                guard position + 1 < bytes.count, bytes[position + 1] == Self.greaterThan else {
                    throw malformed("'/' inside start tag <\(name(qualifiedName))>")
                }
                position += 2
                empty = true
                break
            }
            guard position > spaceStart else { throw malformed("attributes of <\(name(qualifiedName))> run together") }
            let attributeName = try readName(what: "attribute")
            skipSpace()
            guard position < bytes.count, bytes[position] == Self.equals else {
                throw malformed("attribute \(name(attributeName)) without a value")
            }
            position += 1
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'")
            else { throw malformed("attribute \(name(attributeName)) value not quoted") }
            let quote = bytes[position]
            let valueStart = position + 1
            guard let valueEnd = bytes[valueStart...].firstIndex(of: quote) else {
                throw malformed("unterminated attribute value")
            }
            if bytes[valueStart..<valueEnd].contains(Self.lessThan) {
                throw malformed("'<' in the value of attribute \(name(attributeName))")
            }
            attributes.append((attributeName, valueStart..<valueEnd))
            position = valueEnd + 1
        }

        let depth = openElements.count + 1
        var unprefixed: [String: String] = [:]
        for (attributeName, value) in attributes {
            if attributeName.elementsEqual("xmlns".utf8) {
                try declare(prefix: "", uri: value, depth: depth)
            } else if attributeName.starts(with: "xmlns:".utf8) {
                try declare(prefix: name(attributeName.dropFirst(6)), uri: value, depth: depth)
            } else if !attributeName.contains(Self.colon) {
                unprefixed[name(attributeName)] = Self.decodeAttribute(bytes[value])
            }
        }
        let (prefix, localName) = split(qualifiedName)
        let element = Element(namespace: namespace(of: prefix), localName: localName, attributes: unprefixed)
        openElements.append(qualifiedName)
        if empty { endOfEmptyElement = true }
        return element
    }

    private mutating func declare(prefix: String, uri value: Range<Int>, depth: Int) throws(NewsError) {
        guard declarations.count < Self.maximumNamespaceDeclarations else {
            throw malformed("more than \(Self.maximumNamespaceDeclarations) namespace declarations in scope")
        }
        declarations.append((depth, prefix, Self.decodeAttribute(bytes[value])))
    }

    private mutating func endTag() throws(NewsError) -> Event {
        position += 2
        let closing = try readName(what: "end tag")
        skipSpace()
        guard position < bytes.count, bytes[position] == Self.greaterThan else {
            throw malformed("unterminated end tag </\(name(closing))>")
        }
        position += 1
        let open = openElements[openElements.count - 1]
        guard closing.elementsEqual(open) else {
            throw malformed("</\(name(closing))> closes <\(name(open))>")
        }
        close()
        return .end
    }

    private mutating func close() {
        let depth = openElements.count
        while let last = declarations.last, last.depth == depth { declarations.removeLast() }
        openElements.removeLast()
        if openElements.isEmpty { rootClosed = true }
    }

    private func split(_ qualifiedName: ArraySlice<UInt8>) -> (prefix: String?, localName: String) {
        guard let colon = qualifiedName.firstIndex(of: Self.colon) else { return (nil, name(qualifiedName)) }
        return (name(qualifiedName[..<colon]), name(qualifiedName[(colon + 1)...]))
    }

    /// An undeclared prefix gets a namespace of its own, so `<undeclared:title>` is never taken for a title.
    private func namespace(of prefix: String?) -> String {
        let wanted = prefix ?? ""
        if let declaration = declarations.last(where: { $0.prefix == wanted }) { return declaration.uri }
        if wanted == "xml" { return Self.xmlNamespace }
        return wanted.isEmpty ? "" : "undeclared-prefix:" + wanted
    }

    private func name(_ slice: ArraySlice<UInt8>) -> String {
        String(decoding: slice.prefix(40), as: UTF8.self)
    }

    private func malformed(_ detail: String) -> NewsError {
        NewsError(.malformed, "malformed XML at line \(lineNumber): \(detail)")
    }

    // MARK: Character data

    /// Attribute values also turn each whitespace character into a space (XML 1.0 §3.3.3).
    private static func decodeAttribute(_ raw: ArraySlice<UInt8>) -> String {
        let text = decode(raw, references: true)
        guard text.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return String(text.map { $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }

    private static func decode(_ raw: ArraySlice<UInt8>, references: Bool) -> String {
        guard raw.contains(where: { $0 == ampersand || $0 == carriageReturn }) else {
            return String(decoding: raw, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            if byte == carriageReturn {
                // "\r\n" and a lone "\r" both end a line as "\n".
                output.append(newline)
                index += 1
                if index < raw.endIndex, raw[index] == newline { index += 1 }
            } else if byte == ampersand, references, let (scalar, length) = reference(raw[index...]) {
                output.append(contentsOf: String(Character(scalar)).utf8)
                index += length
            } else {
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` `&#NN;` `&#xHH;` at the start of `text`: the character and how many
    /// bytes it took. Anything else, or a reference to a character XML does not allow, is nil (kept as written).
    private static func reference(_ text: ArraySlice<UInt8>) -> (Unicode.Scalar, Int)? {
        guard let semicolon = text.prefix(12).firstIndex(of: UInt8(ascii: ";")) else { return nil }
        let body = text[(text.startIndex + 1)..<semicolon]
        let length = body.count + 2
        switch String(decoding: body, as: UTF8.self) {
        case "lt": return ("<", length)
        case "gt": return (">", length)
        case "amp": return ("&", length)
        case "quot": return ("\"", length)
        case "apos": return ("'", length)
        default: break
        }
        guard body.first == UInt8(ascii: "#") else { return nil }
        var digits = body.dropFirst()
        var radix: UInt32 = 10
        if digits.first == UInt8(ascii: "x") {
            radix = 16
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.count <= 8 else { return nil }
        var value: UInt32 = 0
        for digit in digits {
            guard let digitValue = hexDigitValue(digit), digitValue < radix else { return nil }
            value = value &* radix &+ digitValue
        }
        guard isXMLCharacter(value), let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    private static func hexDigitValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// XML 1.0 §2.2 Char: tab, line feed, carriage return and everything from space up, except the surrogates,
    /// U+FFFE and U+FFFF. (At most 8 hex digits, so `value` cannot have wrapped.)
    private static func isXMLCharacter(_ value: UInt32) -> Bool {
        switch value {
        case 0x09, 0x0A, 0x0D, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}
