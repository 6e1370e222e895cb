import Foundation

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
            return try parseXML(XMLEncoding.utf8(data[start...]), url: url)
        default:
            let type = contentType.map { " (\($0))" } ?? ""
            throw NewsError(.unsupported, "not an XML or JSON document\(type)")
        }
    }

    static func isXMLSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    // MARK: XML

    private static func parseXML(_ bytes: [UInt8], url: URL) throws(NewsError) -> Feed {
        var reader = XMLReader(bytes)
        var collector = XMLFeedCollector()
        while !collector.stoppedAtLimit, let event = try reader.next() {
            try collector.take(event, from: reader)
        }
        let items = collector.entries.compactMap { item(from: $0, base: url) }
        let title = collector.feedTitle.map { TextCleaner.title($0, limit: maximumSourceCharacters) }
        return Feed(title: title?.isEmpty == false ? title : nil, items: items, truncated: collector.stoppedAtLimit)
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

/// Collects the channel/feed title and the items from `XMLReader`'s events.
struct XMLFeedCollector {
    enum Format { case rss, atom }

    static let atomNamespace = "http://www.w3.org/2005/Atom"
    static let rss1Namespace = "http://purl.org/rss/1.0/"
    static let dublinCoreNamespace = "http://purl.org/dc/elements/1.1/"

    typealias Entry = NewsFeedParser.RawEntry

    var format: Format?
    var feedTitle: String?
    var entries: [Entry] = []
    /// Set at the item past `NewsFeedParser.maximumItems`: the caller stops reading there.
    var stoppedAtLimit = false

    private var depth = 0
    private var entry: Entry?
    private var entryDepth = 0
    /// The field being captured and the depth of its element: text of nested elements (Atom xhtml) counts too.
    private var capture: (field: Field, depth: Int)?
    private var text = ""

    private enum Field { case feedTitle, title, summary, link, id, date }

    mutating func take(_ event: XMLReader.Event, from reader: XMLReader) throws(NewsError) {
        switch event {
        case .start(let element):
            try start(element)
        case .end:
            end()
        case .text(let range):
            if capture != nil { text += reader.text(range, limit: room) }
        case .cdata(let range):
            if capture != nil { text += reader.cdata(range, limit: room) }
        }
    }

    /// What a captured field may still take, in bytes of the document.
    private var room: Int {
        max(0, NewsFeedParser.maximumFieldCharacters - text.utf8.count)
    }

    private mutating func start(_ element: XMLReader.Element) throws(NewsError) {
        depth += 1
        let name = element.localName
        let namespace = element.namespace
        if depth == 1 {
            switch name {
            case "rss", "RDF": format = .rss
            case "feed" where namespace == Self.atomNamespace: format = .atom
            default:
                throw NewsError(.unsupported,
                                "root element <\(name.prefix(40))> is neither <rss>, <rdf:RDF> nor an Atom <feed>")
            }
            return
        }
        guard capture == nil, let format else { return }
        let native: Bool
        switch format {
        case .rss: native = namespace.isEmpty || namespace == Self.rss1Namespace
        case .atom: native = namespace == Self.atomNamespace
        }
        let isEntry = format == .rss ? name == "item" : name == "entry"
        if isEntry && native && entry == nil {
            if entries.count >= NewsFeedParser.maximumItems {
                stoppedAtLimit = true
                return
            }
            entry = Entry()
            entryDepth = depth
            return
        }
        if entry == nil {
            // The feed's own title: a direct child of <channel> (RSS) or <feed> (Atom).
            let titleDepth = format == .rss ? 3 : 2
            if native && name == "title" && depth == titleDepth && feedTitle == nil {
                begin(.feedTitle)
            }
            return
        }
        guard depth == entryDepth + 1 else { return }
        if namespace == Self.dublinCoreNamespace && name == "date" {
            begin(.date)
            return
        }
        guard native else { return }
        switch (format, name) {
        case (_, "title"): begin(.title)
        case (.rss, "description"), (.atom, "summary"), (.atom, "content"):
            if entry?.summary == nil { begin(.summary) }
        case (.rss, "link"): begin(.link)
        case (.atom, "link"):
            let rel = element.attributes["rel"] ?? "alternate"
            if rel == "alternate", entry?.link == nil, let href = element.attributes["href"] {
                entry?.link = href
            }
        case (.rss, "guid"), (.atom, "id"): begin(.id)
        case (.rss, "pubDate"), (.atom, "updated"), (.atom, "published"):
            if entry?.date == nil || name == "published" { begin(.date) }
        default: break
        }
    }

    private mutating func begin(_ field: Field) {
        capture = (field, depth)
        text = ""
    }

    private mutating func end() {
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
