@testable import NewsFeed
import Testing

/// `XMLReader` on its own: what a feed needs of XML, and the well-formedness it insists on.
@Suite struct XMLReaderTests {
    /// The events as text: `<ns|name attr=value>`, `</>`, and decoded character data in quotes.
    func events(_ document: String) throws(NewsError) -> [String] {
        var reader = XMLReader(Array(document.utf8))
        var seen: [String] = []
        while let event = try reader.next() {
            switch event {
            case .start(let element):
                let attributes = element.attributes.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }
                seen.append("<\(element.namespace)|\(element.localName)\(attributes.joined())>")
            case .end: seen.append("</>")
            case .text(let range): seen.append("\"\(reader.text(range))\"")
            case .cdata(let range): seen.append("[\(reader.cdata(range))]")
            }
        }
        return seen
    }

    @Test func elementsAttributesAndText() throws {
        #expect(try events("<?xml version='1.0'?><!-- hi --><a x=\"1\" y = 'a&gt;b'>t<b/><?pi data?>u</a>trailing junk")
                == ["<|a x=1 y=a>b>", "\"t\"", "<|b>", "</>", "\"u\"", "</>"])
    }

    @Test func namespacesAreScopedToTheirElement() throws {
        let document = """
            <feed xmlns="urn:a" xmlns:p="urn:p"><p:x/><y xmlns="urn:b" xmlns:p="urn:q"><p:x/><z/></y><z/><u:v/>\
            <xml:w/></feed>
            """
        #expect(try events(document) == [
            "<urn:a|feed>", "<urn:p|x>", "</>", "<urn:b|y>", "<urn:q|x>", "</>", "<urn:b|z>", "</>", "</>",
            "<urn:a|z>", "</>", "<undeclared-prefix:u|v>", "</>", "<\(XMLReader.xmlNamespace)|w>", "</>", "</>",
        ])
    }

    @Test func referencesAndLineEnds() throws {
        let document = "<a>&lt;&amp;&#65;&#x42;&#x1F600;&nbsp;&#0;&#xD800;& x;&#99999999999;a\r\nb\rc</a>"
        #expect(try events(document) == ["<|a>", "\"<&AB😀&nbsp;&#0;&#xD800;& x;&#99999999999;a\nb\nc\"", "</>"])
        #expect(try events("<a><![CDATA[<b>&amp;</b>]]></a>") == ["<|a>", "[<b>&amp;</b>]", "</>"])
        #expect(try events("<a t='x\ny\tz'/>") == ["<|a t=x y z>", "</>"])
    }

    @Test func malformedDocumentsSayWhereAndWhy() {
        let cases: [(String, String)] = [
            ("<a><b></a>", "</a> closes <b>"),
            ("<a>\n\n<b>", "line 3: the document ends inside <b>"),
            ("", "no root element"),
            ("text<a/>", "text before the root element"),
            ("<a x=1/>", "not quoted"),
            ("<a x='<'/>", "'<' in the value"),
            ("<a x='1'y='2'/>", "run together"),
            ("<a x/>", "without a value"),
            ("<1a/>", "starts with '1'"),
            ("<a><!-- open</a>", "unterminated comment"),
            ("<a><![CDATA[x</a>", "unterminated CDATA section"),
            ("<a><!ELEMENT x></a>", "markup declaration inside an element"),
            ("<a></a b>", "unterminated end tag"),
            ("<!DOCTYPE a [<!ENTITY x 'y'>]><a/>", "internal subset"),
        ]
        for (document, expected) in cases {
            let error = #expect(throws: NewsError.self, "\(document)") { try events(document) }
            #expect(error?.description.contains(expected) == true, "\(document): \(String(describing: error))")
        }
    }

    /// Nesting is bounded, so a document of nothing but open tags holds a bounded stack.
    @Test func nestingIsBounded() throws {
        let allowed = String(repeating: "<a>", count: XMLReader.maximumDepth)
            + String(repeating: "</a>", count: XMLReader.maximumDepth)
        #expect(try events(allowed).count == 2 * XMLReader.maximumDepth)
        let error = #expect(throws: NewsError.self) {
            try events(String(repeating: "<a>", count: 100_000))
        }
        #expect(error?.description.contains("nested deeper than \(XMLReader.maximumDepth)") == true)
        var declarations = "<a>"
        for index in 0...XMLReader.maximumNamespaceDeclarations / 4 {
            declarations += "<b" + (0..<4).map { " xmlns:p\($0)='urn:\(index)'" }.joined() + ">"
        }
        let tooMany = #expect(throws: NewsError.self) { try events(declarations) }
        #expect(tooMany?.description.contains("namespace declarations") == true)
    }

    /// A captured field reads at most what it may keep, however long the run of text.
    @Test func textIsReadUpToALimit() throws {
        var reader = XMLReader(Array(("<a>" + String(repeating: "x&amp;", count: 100_000) + "</a>").utf8))
        _ = try reader.next()
        guard case .text(let range) = try reader.next() else {
            Issue.record("no text event")
            return
        }
        #expect(reader.text(range, limit: 12) == "x&x&")
        #expect(reader.text(range).utf8.count == 200_000)
    }
}
