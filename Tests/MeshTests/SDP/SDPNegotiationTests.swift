import Foundation
import Testing
@testable import Mesh

@Suite struct SDPNegotiationTests {
    static let candidate = "1 1 udp 2130706431 127.0.0.1 40000 typ host"
    static let local = LocalTransportParameters(
        iceUfrag: "botU", icePwd: "botpasswordbotpassword01", fingerprint: "sha-256 01:02:03",
        candidates: [candidate], sessionId: 42, cname: "bot-cname")
    static let sendingLocal: LocalTransportParameters = {
        var local = Self.local
        local.streamId = "bot-stream"
        local.audioTrack = LocalTrack(trackId: "bot-audio", ssrc: 1111)
        local.videoTrack = LocalTrack(trackId: "bot-video", ssrc: 2222, rtxSSRC: 3333)
        return local
    }()

    @Test func answerToChromiumOffer() throws {
        let offer = try SDPFixtures.parsed("chromium-156-offer")
        let result = try makeAnswer(to: offer, local: Self.local)
        // The answer must itself be valid SDP that round-trips.
        let answer = try SessionDescription(parsing: result.answer.serialized())
        #expect(answer == result.answer)

        #expect(result.localSetup == .passive)
        #expect(result.bundleMids == ["0", "1", "2"])
        #expect(answer.bundleMids == ["0", "1", "2"])
        #expect(answer.media.map(\.setup) == [.passive, .passive, .passive])
        #expect(answer.media.map(\.mid) == ["0", "1", "2"])
        #expect(answer.media.allSatisfy { $0.iceUfrag == "botU" && $0.fingerprint == "sha-256 01:02:03" })
        #expect(!answer.serialized().contains("trickle"))
        #expect(!answer.hasAttribute("extmap-allow-mixed"))

        // Candidates only in the first bundled m-line, which also carries the default address.
        #expect(answer.media[0].candidates == [Self.candidate])
        #expect(answer.media[0].hasEndOfCandidates)
        #expect(answer.media[0].port == 40000 && answer.media[0].connection == "IN IP4 127.0.0.1")
        #expect(answer.media[1].candidates.isEmpty && !answer.media[1].hasEndOfCandidates)
        #expect(answer.media[2].candidates.isEmpty)
        #expect(answer.media[1].port == 9)

        let audio = result.media[0]
        #expect(audio.isAccepted && audio.kind == .audio)
        #expect(audio.direction == .recvonly)
        #expect(audio.codec?.codec == .opus)
        #expect(audio.codec?.payloadType == 111 && audio.codec?.clockRate == 48000)
        #expect(audio.codec?.feedback == [RTCPFeedback(payloadType: 111, type: "transport-cc")])
        #expect(audio.remoteStreams == [RemoteStream(
            ssrc: 2756649730, cname: "k908/+rLKhaX6nWv",
            msid: MediaStreamID(streamId: "6a29cc05-4842-4b1b-9654-2fe5a2e139da", trackId: "4de1f29a-66ab-4781-a7a5-93d1cd3d8711"))])
        #expect(audio.headerExtensionId(HeaderExtensionURI.audioLevel) == 1)
        #expect(audio.headerExtensionId(HeaderExtensionURI.transportWideCC) == 3)
        #expect(answer.media[0].formats == ["111"])
        #expect(answer.media[0].direction == .recvonly)
        #expect(answer.media[0].rtcpMux && answer.media[0].rtcpReducedSize)
        #expect(answer.media[0].formatParameters(for: 111)?["useinbandfec"] == "1")
        #expect(answer.media[0].ssrcAttributes.isEmpty)

        let video = result.media[1]
        #expect(video.isAccepted && video.direction == .recvonly)
        #expect(video.codec?.codec == .vp8 && video.codec?.payloadType == 96 && video.codec?.clockRate == 90000)
        #expect(video.codec?.rtxPayloadType == 97)
        #expect(video.codec?.feedback.map(\.description) == ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"])
        #expect(video.remoteStreams == [RemoteStream(
            ssrc: 3951359287, rtxSSRC: 721731063, cname: "k908/+rLKhaX6nWv",
            msid: MediaStreamID(streamId: "6a29cc05-4842-4b1b-9654-2fe5a2e139da", trackId: "9b759246-6f5f-4384-b379-cbddffde24ca"))])
        #expect(Set(video.headerExtensions.map(\.uri)) == [HeaderExtensionURI.absSendTime, HeaderExtensionURI.transportWideCC, HeaderExtensionURI.mid])
        #expect(answer.media[1].formats == ["96", "97"])
        #expect(answer.media[1].formatParameters(for: 97)?.associatedPayloadType == 96)
        #expect(answer.media[1].extMaps.map(\.id) == [2, 3, 4])

        let data = result.media[2]
        #expect(data.isAccepted && data.kind == .application)
        #expect(data.sctp == NegotiatedSCTP(localPort: 5000, remotePort: 5000, remoteMaxMessageSize: 262144))
        #expect(answer.media[2].formats == ["webrtc-datachannel"] && answer.media[2].proto == "UDP/DTLS/SCTP")
        #expect(answer.media[2].sctpPort == 5000 && answer.media[2].maxMessageSize == 262144)

        #expect(result.remote.iceUfrag == "dwF/" && result.remote.icePwd == "421W80ZOz5/hiErOwSCa1qY6")
        #expect(result.remote.setup == .actpass)
        #expect(result.remote.fingerprint.hasPrefix("sha-256 8F:1E"))
        // One UDP candidate per m-line (three ports) plus the TCP active one they share.
        #expect(result.remote.candidates.count == 4)
        #expect(result.remote.candidates.first?.contains("59009") == true)
    }

    /// An offer may hold up to the parser's 4,096 lines, nearly all candidates; each was searched for in the
    /// list so far. Duplicates still go, first occurrence first.
    @Test func thousandsOfCandidatesAreDeduplicatedInOnePass() throws {
        let offer = try SDPFixtures.text("chromium-156-offer")
        let marker = "a=candidate:2113270380 1 udp 2122260223 127.0.0.1 59009 typ host generation 0 network-id 1 network-cost 50"
        let extra = (0..<3_800).map { "a=candidate:\($0) 1 udp 1 10.0.\($0 / 250).\($0 % 250) 9 typ host" }
        let crowded = offer.replacingOccurrences(
            of: marker, with: ([marker] + extra + [marker, extra[0]]).joined(separator: "\r\n"))
        let remote = try RemoteTransportParameters(from: SessionDescription(parsing: crowded))
        #expect(remote.candidates.count == 3_800 + 4)  // the fixture's four, then the new ones
        #expect(remote.candidates.first?.contains("59009") == true)
        #expect(Set(remote.candidates).count == remote.candidates.count)
    }

    /// One video m-line listing payload type 96 twenty thousand times and carrying 3,800 copies of its rtpmap
    /// (within the parser's 256 KiB and 4,096 lines): every format re-read every rtpmap. Now the
    /// formats count once each and the attributes are read once, and the answer is the fixture's.
    @Test func formatsAndAttributesRepeatedThousandsOfTimesCostOnePass() throws {
        let offer = try SDPFixtures.text("chromium-156-offer")
        let videoLine = try #require(offer.split(separator: "\r\n").first { $0.hasPrefix("m=video") })
        let crowded = offer.replacingOccurrences(
            of: String(videoLine),
            with: String(videoLine) + String(repeating: " 96", count: 20_000) + "\r\n"
                + [String](repeating: "a=rtpmap:96 VP8/90000", count: 3_800).joined(separator: "\r\n"))
        let result = try makeAnswer(to: SessionDescription(parsing: crowded), local: Self.local)
        let plain = try makeAnswer(to: SDPFixtures.parsed("chromium-156-offer"), local: Self.local)
        #expect(result.media[1].codec == plain.media[1].codec)
        #expect(result.answer.media[1].formats == ["96", "97"])
    }

    @Test func preferVP9Policy() throws {
        let offer = try SDPFixtures.parsed("chromium-156-offer")
        let result = try makeAnswer(to: offer, local: Self.local, policy: CodecPolicy(preferVP9: true))
        #expect(result.media[1].codec?.codec == .vp9)
        #expect(result.media[1].codec?.payloadType == 98)
        #expect(result.media[1].codec?.rtxPayloadType == 99)
        #expect(result.answer.media[1].formats == ["98", "99"])
        #expect(result.answer.media[1].formatParameters(for: 98)?["profile-id"] == "0")
    }

    @Test func h264AndAV1OnlyVideoIsRejected() throws {
        var text = try SDPFixtures.text("chromium-156-offer")
        for pt in ["96", "98", "100"] { text = text.replacingOccurrences(of: "rtpmap:\(pt) VP", with: "rtpmap:\(pt) X-VP") }
        let offer = try SessionDescription(parsing: text)
        let result = try makeAnswer(to: offer, local: Self.local)
        #expect(!result.media[1].isAccepted)
        #expect(result.media[1].rejectionReason?.contains("no recordable codec") == true)
        #expect(result.answer.media[1].port == 0)
        #expect(result.answer.media[1].formats == ["96"])
        #expect(result.answer.media[1].attributes == [SDPAttribute("mid", "1")])
        #expect(result.bundleMids == ["0", "2"])
        #expect(result.answer.bundleMids == ["0", "2"])
        #expect(result.media[0].isAccepted && result.media[2].isAccepted)
    }

    @Test func answerSendsOwnTracksWhenGiven() throws {
        let offer = try SDPFixtures.parsed("chromium-156-offer")
        let result = try makeAnswer(to: offer, local: Self.sendingLocal)
        #expect(result.media[0].direction == .sendrecv && result.media[1].direction == .sendrecv)
        let video = result.answer.media[1]
        #expect(video.direction == .sendrecv)
        #expect(video.msid == MediaStreamID(streamId: "bot-stream", trackId: "bot-video"))
        #expect(video.ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [2222, 3333])])
        #expect(video.ssrcs.map(\.cname) == ["bot-cname", "bot-cname"])
        #expect(result.answer.media[0].ssrcs.map(\.ssrc) == [1111])
        #expect(result.answer.value("msid-semantic") == " WMS bot-stream")
    }

    @Test(arguments: [
        (MediaDirection.sendrecv, false, MediaDirection.recvonly), (.sendrecv, true, .sendrecv),
        (.sendonly, false, .recvonly), (.sendonly, true, .recvonly),
        (.recvonly, false, .inactive), (.recvonly, true, .sendonly),
        (.inactive, false, .inactive), (.inactive, true, .inactive),
    ])
    func answerDirectionFollowsJSEP(offered: MediaDirection, weSend: Bool, expected: MediaDirection) {
        #expect(answerDirection(offered: offered, weSend: weSend) == expected)
    }

    @Test func answerToAiortcOffer() throws {
        let offer = try SDPFixtures.parsed("aiortc-1.16-offer")
        let result = try makeAnswer(to: offer, local: Self.local)
        // aiortc offers recvonly: with nothing to send, we answer inactive but still accept.
        #expect(result.media.map(\.isAccepted) == [true, true, true])
        #expect(result.media[0].codec?.payloadType == 96 && result.media[0].codec?.codec == .opus)
        #expect(result.media[0].direction == .inactive)
        #expect(result.media[1].codec?.payloadType == 97 && result.media[1].codec?.rtxPayloadType == 98)
        #expect(result.media[1].codec?.feedback.map(\.description) == ["nack", "nack pli", "goog-remb"])
        #expect(result.media[1].remoteStreams.first?.rtxSSRC == 3705612607)
        #expect(result.remote.iceUfrag == "cqoy")
        #expect(result.remote.fingerprints.count == 3)
        #expect(result.remote.endOfCandidates)
        #expect(result.remote.candidates.count == 3)

        let sending = try makeAnswer(to: offer, local: Self.sendingLocal)
        #expect(sending.media[0].direction == .sendonly && sending.media[1].direction == .sendonly)
    }

    @Test func offerWithoutRTCPMuxIsRefused() throws {
        let text = try SDPFixtures.text("chromium-156-offer").replacingOccurrences(of: "a=rtcp-mux\r\n", with: "")
        #expect(throws: NegotiationError.rtcpMuxRequired(mid: "0")) {
            try makeAnswer(to: try SessionDescription(parsing: text), local: Self.local)
        }
    }

    @Test func offerWithoutCredentialsOrFingerprintIsRefused() throws {
        let offer = try SDPFixtures.text("chromium-156-offer")
        let noUfrag = offer.replacingOccurrences(of: "a=ice-ufrag:dwF/\r\n", with: "")
        #expect(throws: NegotiationError.missingICECredentials(mid: "0")) {
            try makeAnswer(to: try SessionDescription(parsing: noUfrag), local: Self.local)
        }
        let noFingerprint = offer.split(separator: "\r\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("a=fingerprint") }.joined(separator: "\r\n")
        #expect(throws: NegotiationError.missingFingerprint(mid: "0")) {
            try makeAnswer(to: try SessionDescription(parsing: noFingerprint), local: Self.local)
        }
        #expect(NegotiationError.missingFingerprint(mid: "0").description.contains("no a=fingerprint"))
    }

    @Test func offerWithoutMidOrBundleIsRefused() throws {
        let offer = try SDPFixtures.text("chromium-156-offer")
        let noMid = offer.replacingOccurrences(of: "a=mid:1\r\n", with: "")
        #expect(throws: NegotiationError.missingMid(mLineIndex: 1)) {
            try makeAnswer(to: try SessionDescription(parsing: noMid), local: Self.local)
        }
        let noBundle = offer.replacingOccurrences(of: "a=group:BUNDLE 0 1 2\r\n", with: "")
        #expect(throws: NegotiationError.bundleRequired) {
            try makeAnswer(to: try SessionDescription(parsing: noBundle), local: Self.local)
        }
    }

    @Test func unknownKindsAndRejectedLinesAreAnsweredWithPortZero() throws {
        let text = """
            v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a b\r\n\
            a=ice-ufrag:uf\r\na=ice-pwd:pwpwpwpwpwpwpwpwpwpwpw\r\na=fingerprint:sha-256 AA\r\na=setup:active\r\n\
            m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=mid:a\r\na=rtcp-mux\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n\
            m=text 9 UDP/TLS/RTP/SAVPF 98\r\na=mid:b\r\n\
            m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:c\r\n
            """
        let result = try makeAnswer(to: try SessionDescription(parsing: text), local: Self.local)
        #expect(result.media.map(\.isAccepted) == [true, false, false])
        #expect(result.media[1].rejectionReason == "unknown media kind 'text'")
        #expect(result.answer.media.map(\.port) == [40000, 0, 0])
        #expect(result.answer.media[1].kind == .other("text"))
        #expect(result.bundleMids == ["a"])
        #expect(result.localSetup == .passive)
        #expect(result.media[0].direction == .recvonly)
    }

    @Test func offerMatchesTheRoomPage() throws {
        let offer = try SessionDescription(parsing: makeOffer(local: Self.local).serialized())
        #expect(offer.bundleMids == ["0", "1", "2"])
        #expect(offer.media.map(\.kind) == [.audio, .video, .application])
        #expect(offer.media.map(\.setup) == [.actpass, .actpass, .actpass])
        #expect(offer.media.allSatisfy { $0.candidates == [Self.candidate] && $0.hasEndOfCandidates })
        #expect(!offer.serialized().contains("trickle"))
        #expect(offer.media[0].formats == ["111"])
        #expect(offer.media[0].direction == .recvonly && offer.media[1].direction == .recvonly)
        #expect(offer.media[1].formats == ["96", "97", "98", "99"])
        #expect(offer.media[1].rtpMap(for: 98)?.encodingName == "VP9")
        #expect(offer.media[1].formatParameters(for: 99)?.associatedPayloadType == 98)
        #expect(offer.media[1].rtcpFeedback(for: 96).map(\.description) == ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"])
        #expect(offer.media[2].sctpPort == 5000 && offer.media[2].maxMessageSize == 262144)
        #expect(offer.media[0].ssrcAttributes.isEmpty)

        let red = try SessionDescription(parsing: makeOffer(local: Self.local, options: OfferOptions(audioRED: true)).serialized())
        #expect(red.media[0].formats == ["111", "63"])
        #expect(red.media[0].rtpMap(for: 63)?.encodingName == "red")

        let sending = makeOffer(local: Self.sendingLocal)
        #expect(sending.media[0].direction == .sendrecv)
        #expect(sending.media[1].ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [2222, 3333])])
        #expect(sending.media[1].ssrcs.first?.msid == MediaStreamID(streamId: "bot-stream", trackId: "bot-video"))
    }

    /// What Chromium 156 answers to our offer, shaped like the captured answer fixture.
    static let chromiumStyleAnswer = """
        v=0\r\no=- 2729423925623832141 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2\r\n\
        a=msid-semantic: WMS s1\r\n\
        m=audio 58692 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.1\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
        a=candidate:106142347 1 udp 2122260223 127.0.0.1 58692 typ host generation 0 network-id 1\r\n\
        a=ice-ufrag:C55t\r\na=ice-pwd:pGb/+Ro7RJwdk8u47hCkQSVu\r\na=ice-options:trickle\r\n\
        a=fingerprint:sha-256 C8:3A:81\r\na=setup:active\r\na=mid:0\r\n\
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n\
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendonly\r\na=msid:s1 a1\r\na=rtcp-mux\r\na=rtcp-rsize\r\n\
        a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n\
        a=ssrc:3291139428 cname:IzHKqYRZ887wv6eM\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
        a=ice-ufrag:C55t\r\na=ice-pwd:pGb/+Ro7RJwdk8u47hCkQSVu\r\na=fingerprint:sha-256 C8:3A:81\r\na=setup:active\r\na=mid:1\r\n\
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n\
        a=sendonly\r\na=msid:s1 v1\r\na=rtcp-mux\r\na=rtcp-rsize\r\n\
        a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n\
        a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=rtpmap:98 VP9/90000\r\na=fmtp:98 profile-id=0\r\n\
        a=rtpmap:99 rtx/90000\r\na=fmtp:99 apt=98\r\n\
        a=ssrc-group:FID 3786322206 3842855554\r\na=ssrc:3786322206 cname:IzHKqYRZ887wv6eM\r\na=ssrc:3842855554 cname:IzHKqYRZ887wv6eM\r\n\
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:C55t\r\na=ice-pwd:pGb/+Ro7RJwdk8u47hCkQSVu\r\n\
        a=fingerprint:sha-256 C8:3A:81\r\na=setup:active\r\na=mid:2\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n
        """

    @Test func applyChromiumStyleAnswer() throws {
        let offer = makeOffer(local: Self.local)
        let result = try applyAnswer(try SessionDescription(parsing: Self.chromiumStyleAnswer), to: offer)
        #expect(result.localSetup == .passive)
        #expect(result.bundleMids == ["0", "1", "2"])
        #expect(result.remote.iceUfrag == "C55t" && result.remote.setup == .active)
        #expect(result.remote.fingerprint == "sha-256 C8:3A:81")
        #expect(result.remote.candidates.count == 1)
        #expect(result.media[0].codec?.payloadType == 111 && result.media[0].direction == .recvonly)
        #expect(result.media[0].remoteStreams.map(\.ssrc) == [3291139428])
        #expect(result.media[0].headerExtensionId(HeaderExtensionURI.transportWideCC) == 3)
        #expect(result.media[1].codec?.codec == .vp8 && result.media[1].codec?.rtxPayloadType == 97)
        #expect(result.media[1].codec?.feedback.map(\.description) == ["goog-remb", "nack", "nack pli"])
        #expect(result.media[1].remoteStreams == [RemoteStream(
            ssrc: 3786322206, rtxSSRC: 3842855554, cname: "IzHKqYRZ887wv6eM", msid: MediaStreamID(streamId: "s1", trackId: "v1"))])
        #expect(result.media[2].sctp?.remotePort == 5000)
    }

    @Test func applyAnswerRejectsMismatches() throws {
        let offer = makeOffer(local: Self.local)
        // The captured fixture answers an offer with other payload types (aiortc-style 96 = opus).
        let fixture = try SDPFixtures.parsed("chromium-156-answer")
        #expect(throws: NegotiationError.self) { try applyAnswer(fixture, to: offer) }

        let actpass = try SessionDescription(parsing: Self.chromiumStyleAnswer.replacingOccurrences(of: "setup:active", with: "setup:actpass"))
        #expect(throws: NegotiationError.answerMismatch("a=setup:actpass is not a valid answer to actpass")) {
            try applyAnswer(actpass, to: offer)
        }
        let h264 = try SessionDescription(parsing: Self.chromiumStyleAnswer
            .replacingOccurrences(of: "UDP/TLS/RTP/SAVPF 96 97 98 99", with: "UDP/TLS/RTP/SAVPF 102"))
        #expect(throws: NegotiationError.answerMismatch("m-line 1 answers payload type 102, which was not offered")) {
            try applyAnswer(h264, to: offer)
        }
        var short = try SessionDescription(parsing: Self.chromiumStyleAnswer)
        short.media.removeLast()
        #expect(throws: NegotiationError.answerMismatch("2 m-lines answer 3 offered")) { try applyAnswer(short, to: offer) }
    }

    @Test func ownOfferAndAnswerNegotiateWithEachOther() throws {
        let offer = makeOffer(local: Self.sendingLocal)
        var peer = Self.local
        peer.iceUfrag = "peer"
        let answered = try makeAnswer(to: try SessionDescription(parsing: offer.serialized()), local: peer)
        #expect(answered.media.map(\.isAccepted) == [true, true, true])
        #expect(answered.media[1].remoteStreams.first?.rtxSSRC == 3333)
        let applied = try applyAnswer(try SessionDescription(parsing: answered.answer.serialized()), to: offer)
        #expect(applied.localSetup == .active)
        #expect(applied.media[0].direction == .sendonly)
        #expect(applied.media.map { $0.codec?.payloadType } == [111, 96, nil])
        #expect(applied.remote.iceUfrag == "peer")
    }
}
