import Testing
@testable import Mesh

@Suite struct SDPParsingTests {
    @Test func chromiumOfferKeyFields() throws {
        let sdp = try SDPFixtures.parsed("chromium-156-offer")
        #expect(sdp.origin.sessionId == "6206230085117333887")
        #expect(sdp.origin.sessionVersion == "2")
        #expect(sdp.bundleMids == ["0", "1", "2"])
        #expect(sdp.hasAttribute("extmap-allow-mixed"))
        #expect(sdp.value("msid-semantic") == " WMS 6a29cc05-4842-4b1b-9654-2fe5a2e139da")
        #expect(sdp.media.map(\.kind) == [.audio, .video, .application])

        let audio = sdp.media[0]
        #expect(audio.port == 59009)
        #expect(audio.proto == "UDP/TLS/RTP/SAVPF")
        #expect(audio.formats == ["111", "63", "9", "0", "8", "13", "110", "126"])
        #expect(audio.connection == "IN IP4 127.0.0.1")
        #expect(audio.mid == "0")
        #expect(audio.direction == .sendrecv)
        #expect(audio.iceUfrag == "dwF/")
        #expect(audio.icePwd == "421W80ZOz5/hiErOwSCa1qY6")
        #expect(audio.iceOptions == ["trickle"])
        #expect(audio.fingerprint == "sha-256 8F:1E:57:CF:D3:70:51:EF:F5:49:13:AD:6E:AB:C8:57:54:52:99:37:3E:25:BE:C9:03:86:E0:35:BE:1C:0F:5A")
        #expect(audio.setup == .actpass)
        #expect(audio.candidates == [
            "2113270380 1 udp 2122260223 127.0.0.1 59009 typ host generation 0 network-id 1 network-cost 50",
            "2204051192 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 network-cost 50",
        ])
        #expect(!audio.hasEndOfCandidates)
        #expect(audio.rtcpMux && audio.rtcpReducedSize)
        #expect(audio.rtpMap(for: 111) == RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2))
        #expect(audio.formatParameters(for: 111)?["useinbandfec"] == "1")
        #expect(audio.formatParameters(for: 63)?.parameters == [FormatParameter("111/111")])
        #expect(audio.rtcpFeedback(for: 111) == [RTCPFeedback(payloadType: 111, type: "transport-cc")])
        #expect(audio.extMaps.first == ExtMap(id: 1, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"))
        #expect(audio.ssrcs == [SSRCDescription(
            ssrc: 2756649730, cname: "k908/+rLKhaX6nWv",
            msid: MediaStreamID(streamId: "6a29cc05-4842-4b1b-9654-2fe5a2e139da", trackId: "4de1f29a-66ab-4781-a7a5-93d1cd3d8711"))])
        #expect(audio.msid?.trackId == "4de1f29a-66ab-4781-a7a5-93d1cd3d8711")

        let video = sdp.media[1]
        #expect(video.payloadTypes.count == 23)
        #expect(video.rtpMap(for: 45)?.encodingName == "AV1")
        #expect(video.formatParameters(for: 97)?.associatedPayloadType == 96)
        #expect(video.formatParameters(for: 100)?["profile-id"] == "2")
        #expect(video.rtcpFeedback(for: 96).map(\.description) == ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"])
        #expect(video.ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [3951359287, 721731063])])
        #expect(video.ssrcs.map(\.ssrc) == [3951359287, 721731063])
        #expect(video.extMaps.count == 11)

        let data = sdp.media[2]
        #expect(data.formats == ["webrtc-datachannel"])
        #expect(data.proto == "UDP/DTLS/SCTP")
        #expect(data.sctpPort == 5000)
        #expect(data.maxMessageSize == 262144)
    }

    @Test func chromiumAnswerKeyFields() throws {
        let sdp = try SDPFixtures.parsed("chromium-156-answer")
        #expect(sdp.bundleMids == ["0", "1", "2"])
        #expect(sdp.media.map(\.mid) == ["0", "1", "2"])
        #expect(sdp.media.map(\.setup) == [.active, .active, .active])
        #expect(sdp.media.map(\.direction) == [.sendonly, .sendonly, nil])
        #expect(sdp.media[0].candidates.count == 1)
        #expect(sdp.media[1].candidates.isEmpty && sdp.media[2].candidates.isEmpty)
        #expect(sdp.media[1].port == 9)
        #expect(sdp.media[1].ssrcGroups.first?.ssrcs == [3786322206, 3842855554])
        #expect(sdp.media[0].ssrcs.first?.cname == "IzHKqYRZ887wv6eM")
    }

    @Test func aiortcOfferKeyFields() throws {
        let sdp = try SDPFixtures.parsed("aiortc-1.16-offer")
        #expect(sdp.origin.sessionId == "4004586689")
        #expect(sdp.value("msid-semantic") == "WMS *")
        #expect(sdp.media.map(\.direction) == [.recvonly, .recvonly, nil])
        #expect(sdp.media.map(\.port) == [60117, 39326, 51049])
        #expect(sdp.media.allSatisfy { $0.hasEndOfCandidates })
        #expect(sdp.media[0].fingerprints.count == 3)
        #expect(sdp.media[0].fingerprint?.hasPrefix("sha-256 11:61:F5") == true)
        #expect(sdp.media[0].rtpMap(for: 96)?.encodingName == "opus")
        #expect(sdp.media[0].value("rtcp") == "9 IN IP4 0.0.0.0")
        #expect(sdp.media[1].formatParameters(for: 98)?.associatedPayloadType == 97)
        #expect(sdp.media[2].setup == .actpass)
    }

    @Test func aiortcAnswerKeyFields() throws {
        let sdp = try SDPFixtures.parsed("aiortc-1.16-answer")
        #expect(sdp.media.map(\.setup) == [.active, .active, .active])
        #expect(sdp.media[0].formats == ["111", "9", "0", "8"])
        #expect(sdp.media[1].ssrcs.map(\.ssrc) == [838028412, 90384375])
        #expect(sdp.media[0].iceUfrag == "WiF5")
    }

    @Test func sessionLevelValuesAreInherited() throws {
        let text = """
            v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-ufrag:sess\r\na=ice-pwd:sesspwd\r\n\
            a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=inactive\r\n\
            m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=ice-ufrag:own\r\n
            """
        let sdp = try SessionDescription(parsing: text)
        let audio = sdp.media[0]
        #expect(audio.iceUfrag == "own")
        #expect(audio.icePwd == nil)
        #expect(sdp.iceUfrag(for: audio) == "own")
        #expect(sdp.icePwd(for: audio) == "sesspwd")
        #expect(sdp.fingerprint(for: audio) == "sha-256 AA:BB")
        #expect(sdp.setup(for: audio) == .actpass)
        #expect(sdp.direction(for: audio) == .inactive)
    }

    @Test(arguments: SDPFixtures.all)
    func serialiseParseSerialiseIsStable(name: String) throws {
        let text = try SDPFixtures.text(name)
        let first = try SessionDescription(parsing: text)
        let serialized = first.serialized()
        let second = try SessionDescription(parsing: serialized)
        #expect(second == first)
        #expect(second.serialized() == serialized)
        // The captured fixtures are CRLF and in RFC 8866 order: the round trip is byte for byte.
        #expect(serialized == text)
    }

    @Test func unknownLinesAndAttributesSurvive() throws {
        let text = "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=x\r\ni=info\r\nb=AS:30\r\nt=0 0\r\nt=1 2\r\na=x-custom:1 2\r\n"
            + "m=video 9/2 RTP/AVP 96\r\ni=media\r\nc=IN IP4 0.0.0.0\r\nb=TIAS:1\r\na=flag\r\na=weird:\r\n"
        let sdp = try SessionDescription(parsing: text)
        #expect(sdp.serialized() == text)
        #expect(sdp.media[0].portCount == 2)
        #expect(sdp.media[0].attributes == [SDPAttribute("flag"), SDPAttribute("weird", "")])
    }
}
