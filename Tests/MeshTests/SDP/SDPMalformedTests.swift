import Testing
@testable import Mesh

@Suite struct SDPMalformedTests {
    private static let head = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

    private func parseError(_ text: String) -> ParseError? {
        do {
            _ = try SessionDescription(parsing: text)
            return nil
        } catch let error as ParseError {
            return error
        } catch {
            return ParseError("unexpected error type \(error)")
        }
    }

    @Test(arguments: [
        ("", "no 'v=0'"),
        ("o=- 1 2 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n", "must start with 'v=0'"),
        ("v=1\r\n", "unsupported SDP version"),
        ("v=0\r\ns=-\r\nt=0 0\r\n", "t= line before o= and s="),
        ("v=0\r\no=- 1 2 IN IP4 1.1.1.1\r\nt=0 0\r\n", "t= line before o= and s="),
        ("v=0\r\no=- 1 2 IN IP4 1.1.1.1\r\ns=-\r\n", "no t= line"),
        ("v=0\r\no=- x 2 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n", "decimal numbers"),
        ("v=0\r\no=- 1 2\r\ns=-\r\nt=0 0\r\n", "o= needs 6 fields"),
        (head + "garbage\r\n", "line 5: expected '<letter>=<value>'"),
        (head + "m=audio\r\n", "m= needs"),
        (head + "m=audio nine UDP/TLS/RTP/SAVPF 111\r\n", "port must be a number"),
        (head + "m=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n", "port must be a number"),
        (head + "m=audio -1 UDP/TLS/RTP/SAVPF 111\r\n", "port must be a number"),
        (head + "m=audio 9/0 UDP/TLS/RTP/SAVPF 111\r\n", "port count"),
        (head + "m=audio 9 RTP/AVP 0\r\na=rtpmap:111 opus\r\n", "rtpmap"),
        (head + "m=audio 9 RTP/AVP 0\r\na=rtpmap:300 opus/48000\r\n", "rtpmap"),
        (head + "m=audio 9 RTP/AVP 0\r\na=rtpmap:111 opus/fast/2\r\n", "rtpmap"),
        (head + "m=audio 9 RTP/AVP 0\r\na=fmtp:x apt=1\r\n", "fmtp"),
        (head + "m=audio 9 RTP/AVP 0\r\na=rtcp-fb:96\r\n", "rtcp-fb"),
        (head + "m=audio 9 RTP/AVP 0\r\na=extmap:0 urn:x\r\n", "extmap"),
        (head + "m=audio 9 RTP/AVP 0\r\na=extmap:1/sideways urn:x\r\n", "extmap"),
        (head + "m=audio 9 RTP/AVP 0\r\na=ssrc:4294967296 cname:x\r\n", "ssrc"),
        (head + "m=audio 9 RTP/AVP 0\r\na=ssrc-group:FID 1 two\r\n", "ssrc-group"),
        (head + "m=audio 9 RTP/AVP 0\r\na=setup:maybe\r\n", "a=setup"),
        (head + "m=audio 9 RTP/AVP 0\r\na=fingerprint:sha-256\r\n", "a=fingerprint"),
        (head + "m=audio 9 RTP/AVP 0\r\na=sctp-port:big\r\n", "a=sctp-port"),
        (head + "m=audio 9 RTP/AVP 0\r\na=mid\r\n", "a=mid needs a value"),
        (head + "m=audio 9 RTP/AVP 0\r\na=mid:0\r\nm=video 9 RTP/AVP 96\r\na=mid:0\r\n", "duplicate mid"),
        (head + "m=audio 9 RTP/AVP 0\r\ns=again\r\n", "inside an m= section"),
        (head + "v=0\r\n", "duplicate v="),
        (head + "a=:x\r\n", "attribute needs a name"),
        (head + "m=audio 9 RTP/AVP 0\r\nc=IN IP4 1.1.1.1\r\nc=IN IP4 2.2.2.2\r\n", "duplicate c="),
    ])
    func malformedInputThrowsClearError(text: String, expected: String) {
        let error = parseError(text)
        #expect(error != nil, "parsed although malformed: \(text.debugDescription)")
        #expect(error?.message.contains(expected) == true, "message was: \(error?.message ?? "-")")
    }

    @Test func hugeInputsAreRefusedUpFront() {
        let manyLines = Self.head + String(repeating: "a=x\r\n", count: SessionDescription.maximumLineCount)
        #expect(parseError(manyLines)?.message.contains("more than 4096 lines") == true)
        let longLine = Self.head + "a=x:" + String(repeating: "y", count: SessionDescription.maximumLength)
        #expect(parseError(longLine)?.message.contains("bytes, more than") == true)
    }

    @Test func nonASCIIAndControlBytesDoNotTrap() {
        for text in [Self.head + "\u{0}=\u{0}\r\n", Self.head + "é=x\r\n", Self.head + "m=audio 9 RTP/AVP 0\r\na=rtpmap:9 é/8000\r\n", "\r\n\r\n", "\n"] {
            _ = parseError(text)
        }
        #expect(parseError(Self.head + "é=x\r\n")?.message.contains("expected '<letter>=<value>'") == true)
    }

    @Test func everyPrefixOfChromiumOfferParsesOrThrows() throws {
        let text = try SDPFixtures.text("chromium-156-offer")
        let scalars = Array(text.unicodeScalars)
        var parsed = 0
        var thrown = 0
        for length in 0...scalars.count {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[..<length])
            do {
                let sdp = try SessionDescription(parsing: String(view))
                // Whole-line prefixes must also survive their own round trip (checked per line to keep the test quick).
                if length > 0, scalars[length - 1] == "\n" {
                    #expect(try SessionDescription(parsing: sdp.serialized()) == sdp)
                }
                parsed += 1
            } catch is ParseError {
                thrown += 1
            }
        }
        #expect(parsed + thrown == scalars.count + 1)
        #expect(thrown > 0 && parsed > 0)
    }

    @Test func lineFeedOnlyInputIsAccepted() throws {
        let text = try SDPFixtures.text("aiortc-1.16-offer")
        let lf = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\r" }))
        #expect(try SessionDescription(parsing: lf) == SessionDescription(parsing: text))
    }
}
