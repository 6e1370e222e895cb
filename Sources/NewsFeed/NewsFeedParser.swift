import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Bytes in, a cleaned `Feed` out: RSS 2.0 (and RSS 1.0), Atom 1.0, JSON Feed 1.x. No I/O.
public enum NewsFeedParser {
    /// A feed is a list of recent news: past this many items the rest is ignored (and `Feed.truncated` set).
    public static let maximumItems = 500
    static let maximumFieldCharacters = 64 * 1024
    static let maximumIDCharacters = 512
    static let maximumSourceCharacters = 40

    /// `url` is where the document came from: relative links resolve against it.
    public static func parse(data: [UInt8], contentType: String?, url: URL) throws -> Feed {
        var start = 0
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        if data.starts(with: [0xFE, 0xFF]) || data.starts(with: [0xFF, 0xFE]) || data.prefix(4).contains(0) {
            throw NewsError(.unsupported, "UTF-16/32 documents are not accepted")
        }
        guard let first = data[start...].first(where: { !isXMLSpace($0) }) else {
            throw NewsError(.malformed, "empty document")
        }
        switch first {
        case UInt8(ascii: "{"):
            return try parseJSONFeed(Data(data[start...]), url: url)
        case UInt8(ascii: "<"):
            try XMLPrologGuard.check(data[start...])
            try XMLParserTrapGuard.check(data[start...])
            return try parseXML(Data(data[start...]), url: url)
        default:
            let type = contentType.map { " (\($0))" } ?? ""
            throw NewsError(.unsupported, "not an XML or JSON document\(type)")
        }
    }

    static func isXMLSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    // MARK: XML

    private static func parseXML(_ data: Data, url: URL) throws -> Feed {
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.shouldReportNamespacePrefixes = false
        let reader = XMLFeedReader()
        parser.delegate = reader
        let finished = parser.parse()
        if let refusal = reader.refusal { throw refusal }
        if let root = reader.unknownRoot {
            throw NewsError(.unsupported, "root element <\(root)> is neither <rss>, <rdf:RDF> nor an Atom <feed>")
        }
        if (!finished || reader.fatalError != nil) && !reader.stoppedAtLimit {
            let code = reader.fatalError?.code ?? (parser.parserError as? NSError)?.code ?? -1
            // 89 is libxml2's XML_ERR_ENTITY_LOOP, which is also how it reports amplification.
            let detail = code == 89 ? "entity expansion refused" : "XML error \(code)"
            throw NewsError(.malformed, "malformed XML at line \(parser.lineNumber): \(detail)")
        }
        guard reader.format != nil else {
            throw NewsError(.malformed, "malformed XML: no root element")
        }
        let items = reader.entries.compactMap { item(from: $0, base: url) }
        let title = reader.feedTitle.map { TextCleaner.title($0, limit: maximumSourceCharacters) }
        return Feed(title: title?.isEmpty == false ? title : nil, items: items, truncated: reader.stoppedAtLimit)
    }

    /// The fields of one item/entry as found, before cleaning.
    struct RawEntry {
        var id: String?
        var title: String?
        var summary: String?
        var link: String?
        var date: String?
    }

    static func item(from raw: RawEntry, base: URL) -> FeedItem? {
        var title = TextCleaner.title(raw.title ?? "")
        if title.isEmpty { title = TextCleaner.title(raw.summary ?? "") }
        guard !title.isEmpty else { return nil }
        let link = raw.link.flatMap { webURL($0, base: base) }
        let date = raw.date.flatMap(FeedDate.parse)
        let id: String
        if let guid = raw.id?.trimmingCharacters(in: .whitespacesAndNewlines), !guid.isEmpty {
            id = guid
        } else if let link {
            id = link.absoluteString
        } else {
            id = title + "|" + (date.map { String(Int64($0.timeIntervalSince1970)) } ?? raw.date ?? "")
        }
        return FeedItem(id: String(id.prefix(maximumIDCharacters)), title: title, link: link, date: date)
    }

    /// An absolute http(s) URL with a host, or nil: javascript:, data:, file: and junk are dropped.
    static func webURL(_ text: String, base: URL) -> URL? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 2048,
              !trimmed.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }),
              let url = URL(string: trimmed, relativeTo: base)?.absoluteURL,
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else { return nil }
        return url
    }

    // MARK: JSON Feed

    private static func parseJSONFeed(_ data: Data, url: URL) throws -> Feed {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw NewsError(.malformed, "malformed JSON")
        }
        guard let feed = object as? [String: Any] else {
            throw NewsError(.malformed, "JSON Feed is not an object")
        }
        guard let version = feed["version"] as? String, version.hasPrefix("https://jsonfeed.org/version/1") else {
            throw NewsError(.unsupported, "JSON document without a JSON Feed 1.x version")
        }
        guard let list = feed["items"] as? [Any] else {
            throw NewsError(.malformed, "JSON Feed without an items array")
        }
        var items: [FeedItem] = []
        for element in list.prefix(maximumItems) {
            guard let entry = element as? [String: Any] else { continue }
            let raw = RawEntry(
                id: jsonString(entry["id"]),
                title: jsonString(entry["title"]),
                summary: jsonString(entry["summary"]) ?? jsonString(entry["content_text"]),
                link: jsonString(entry["url"]) ?? jsonString(entry["external_url"]),
                date: jsonString(entry["date_published"]) ?? jsonString(entry["date_modified"]))
            if let item = item(from: raw, base: url) { items.append(item) }
        }
        let title = jsonString(feed["title"]).map { TextCleaner.title($0, limit: maximumSourceCharacters) }
        return Feed(title: title?.isEmpty == false ? title : nil, items: items, truncated: list.count > maximumItems)
    }

    /// Strings as given; numbers are accepted for ids because some feeds write them so.
    private static func jsonString(_ value: Any?) -> String? {
        switch value {
        case let string as String:
            return String(string.prefix(maximumFieldCharacters))
        case let number as NSNumber where !(number is Bool):
            return number.stringValue
        default:
            return nil
        }
    }
}

/// libxml2 expands internal entities itself, and a hostile internal subset can amplify a small
/// document into gigabytes or point at local files. Feeds have no use for DTDs with internal
/// subsets, so any document that has one is refused before the XML parser sees it.
enum XMLPrologGuard {
    static func check(_ bytes: ArraySlice<UInt8>) throws {
        var index = bytes.startIndex
        func starts(_ literal: String) -> Bool {
            bytes[index...].starts(with: literal.utf8)
        }
        func skip(past terminator: String) throws {
            let pattern = Array(terminator.utf8)
            while index < bytes.endIndex {
                if bytes[index...].starts(with: pattern) {
                    index += pattern.count
                    return
                }
                index += 1
            }
            throw NewsError(.malformed, "malformed XML: unterminated markup before the root element")
        }
        while index < bytes.endIndex {
            if NewsFeedParser.isXMLSpace(bytes[index]) {
                index += 1
            } else if starts("<?") {
                try skip(past: "?>")
            } else if starts("<!--") {
                try skip(past: "-->")
            } else if starts("<!DOCTYPE") || starts("<!doctype") {
                // Only a plain `<!DOCTYPE name PUBLIC "…" "…">` is allowed; a `[` opens an internal subset.
                var quote: UInt8?
                while index < bytes.endIndex {
                    let byte = bytes[index]
                    index += 1
                    if let open = quote {
                        if byte == open { quote = nil }
                    } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                        quote = byte
                    } else if byte == UInt8(ascii: "[") {
                        throw NewsError(.refused, "refused: the document declares a DTD internal subset (entity declarations)")
                    } else if byte == UInt8(ascii: ">") {
                        break
                    }
                }
            } else {
                return
            }
        }
    }
}

/// Collects channel/feed title and items from XMLParser's callbacks.
final class XMLFeedReader: NSObject, XMLParserDelegate {
    enum Format { case rss, atom }

    static let atomNamespace = "http://www.w3.org/2005/Atom"
    static let rss1Namespace = "http://purl.org/rss/1.0/"
    static let dublinCoreNamespace = "http://purl.org/dc/elements/1.1/"

    var format: Format?
    var feedTitle: String?
    var entries: [XMLFeedReader.Entry] = []
    var stoppedAtLimit = false
    var refusal: NewsError?
    var unknownRoot: String?
    var fatalError: NSError?

    typealias Entry = NewsFeedParser.RawEntry

    private var depth = 0
    private var entry: Entry?
    private var entryDepth = 0
    /// The field being captured and the depth of its element: text of nested elements (Atom xhtml) counts too.
    private var capture: (field: Field, depth: Int)?
    private var text = ""

    private enum Field { case feedTitle, title, summary, link, id, date }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes: [String: String] = [:]) {
        depth += 1
        let namespace = namespaceURI ?? ""
        if depth == 1 {
            switch elementName {
            case "rss", "RDF": format = .rss
            case "feed" where namespace == Self.atomNamespace: format = .atom
            default:
                unknownRoot = String(elementName.prefix(40))
                parser.abortParsing()
            }
            return
        }
        guard capture == nil, let format else { return }
        let native: Bool
        switch format {
        case .rss: native = namespace.isEmpty || namespace == Self.rss1Namespace
        case .atom: native = namespace == Self.atomNamespace
        }
        let isEntry = format == .rss ? elementName == "item" : elementName == "entry"
        if isEntry && native && entry == nil {
            if entries.count >= NewsFeedParser.maximumItems {
                stoppedAtLimit = true
                parser.abortParsing()
                return
            }
            entry = Entry()
            entryDepth = depth
            return
        }
        if entry == nil {
            // The feed's own title: a direct child of <channel> (RSS) or <feed> (Atom).
            let titleDepth = format == .rss ? 3 : 2
            if native && elementName == "title" && depth == titleDepth && feedTitle == nil {
                begin(.feedTitle)
            }
            return
        }
        guard depth == entryDepth + 1 else { return }
        if namespace == Self.dublinCoreNamespace && elementName == "date" {
            begin(.date)
            return
        }
        guard native else { return }
        switch (format, elementName) {
        case (_, "title"): begin(.title)
        case (.rss, "description"), (.atom, "summary"), (.atom, "content"):
            if entry?.summary == nil { begin(.summary) }
        case (.rss, "link"): begin(.link)
        case (.atom, "link"):
            let rel = attributes["rel"] ?? "alternate"
            if rel == "alternate", entry?.link == nil, let href = attributes["href"] {
                entry?.link = href
            }
        case (.rss, "guid"), (.atom, "id"): begin(.id)
        case (.rss, "pubDate"), (.atom, "updated"), (.atom, "published"):
            if entry?.date == nil || elementName == "published" { begin(.date) }
        default: break
        }
    }

    private func begin(_ field: Field) {
        capture = (field, depth)
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard capture != nil, text.utf8.count < NewsFeedParser.maximumFieldCharacters else { return }
        text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard capture != nil, text.utf8.count < NewsFeedParser.maximumFieldCharacters else { return }
        text += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?) {
        defer { depth -= 1 }
        if let (field, fieldDepth) = capture, fieldDepth == depth {
            capture = nil
            switch field {
            case .feedTitle: feedTitle = text
            case .title: entry?.title = text
            case .summary: entry?.summary = text
            case .link: entry?.link = text
            case .id: entry?.id = text
            case .date: entry?.date = text
            }
            return
        }
        if let finished = entry, depth == entryDepth {
            entries.append(finished)
            entry = nil
        }
    }

    /// XMLParser may report a fatal error here and still return true from parse().
    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        if fatalError == nil { fatalError = parseError as NSError }
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        refusal = NewsError(.refused, "refused: the document references an external entity")
        parser.abortParsing()
        return nil
    }
}

/// The date formats feeds use: RFC 822 (RSS) and RFC 3339 (Atom, JSON Feed, Dublin Core).
enum FeedDate {
    static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count < 64 else { return nil }
        // Both formats are ASCII. Foundation's DateFormatter traps on some other text (a combining mark inside a
        // month name: "03\u{05BB}ec", found by the `news` fuzz target), so nothing else reaches it.
        guard trimmed.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        let iso = ISO8601DateFormatter()
        if let date = iso.date(from: trimmed) { return date }
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = iso.date(from: trimmed) { return date }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["EEE, d MMM yyyy HH:mm:ss zzz", "EEE, d MMM yyyy HH:mm:ss Z", "d MMM yyyy HH:mm:ss zzz",
                       "d MMM yyyy HH:mm:ss Z", "EEE, d MMM yyyy HH:mm zzz", "EEE, d MMM yyyy HH:mm Z"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) { return date }
        }
        return nil
    }
}
