import Foundation
import NewsFeed

/// News feeds as a web server returns them: RSS 2.0/1.0, Atom and JSON Feed, whichever the first byte says.
enum NewsFeedTarget {
    static let base = URL(string: "https://news.example/feeds/main.xml")!

    static let target = FuzzTarget(name: "news", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        guard let feed = try? NewsFeedParser.parse(data: bytes, contentType: nil, url: base) else { return }
        RoundTrip.require(feed.items.count <= NewsFeedParser.maximumItems, "news: \(feed.items.count) items kept")
    }

    static func seeds() -> [[UInt8]] {
        let rss = """
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Daily &amp; more</title>
            <item><title><![CDATA[<b>First</b> &amp; best]]></title><link>/a/1</link><guid>id-1</guid>
            <pubDate>Tue, 03 Dec 2024 10:00:00 GMT</pubDate><dc:creator>Ann</dc:creator></item>
            <item><title>Second &#x41;</title><link>https://news.example/a/2</link></item>
            </channel></rss>
            """
        let rss1 = """
            <?xml version="1.0"?>
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
              xmlns:dc="http://purl.org/dc/elements/1.1/">
            <channel rdf:about="https://news.example/"><title>Old</title></channel>
            <item rdf:about="https://news.example/b"><title>RDF item</title><link>https://news.example/b</link>
            <dc:date>2024-12-03T10:00:00Z</dc:date></item></rdf:RDF>
            """
        let atom = """
            <?xml version="1.0" encoding="utf-8"?>
            <!DOCTYPE feed PUBLIC "-//x//y" "http://example/atom.dtd">
            <feed xmlns="http://www.w3.org/2005/Atom"><title type="html">Atomic &lt;i&gt;news&lt;/i&gt;</title>
            <entry><title>Entry</title><id>urn:uuid:1</id><link rel="alternate" href="e/1"/>
            <updated>2024-12-03T10:00:00+01:00</updated></entry></feed>
            """
        let json = """
            {"version":"https://jsonfeed.org/version/1.1","title":"JSON","items":[
            {"id":"1","title":"First","url":"/j/1","date_published":"2024-12-03T10:00:00Z"},
            {"id":2,"content_text":"No title","external_url":"https://x.example/"}]}
            """
        return [rss, rss1, atom, json].map { Array($0.utf8) }
    }
}
