import Testing
@testable import Mesh

/// Which media stream an RTX packet repairs, on Chromium's real offer.
@Suite struct RetransmissionRoutingTests {
    static let mediaSSRC: UInt32 = 3_951_359_287
    static let rtxSSRC: UInt32 = 721_731_063

    static func routing(stripSSRCs: Bool) throws -> MediaRouting {
        var text = try SDPFixtures.text("chromium-156-offer")
        if stripSSRCs {
            text = text.components(separatedBy: "\r\n").filter { !$0.hasPrefix("a=ssrc") }.joined(separator: "\r\n")
        }
        return MediaRouting(try makeAnswer(to: SessionDescription(parsing: text), local: SDPNegotiationTests.local))
    }

    static func rtx(ssrc: UInt32, originalSequence: UInt16) -> RTPPacket {
        let original = RTPPacket(payloadType: 96, sequenceNumber: originalSequence, timestamp: 900, ssrc: mediaSSRC,
                                 marker: true, payload: [0x10, 0x00, 0x9d][...])
        return RetransmissionPayload.wrap(original, payloadType: 97, ssrc: ssrc, sequenceNumber: 7)
    }

    @Test func videoAsksForRepairsAndItsRTXIsTiedToTheFIDPartner() throws {
        let routing = try Self.routing(stripSSRCs: false)
        #expect(routing.nackPayloadTypes == [96])  // Chromium offers nack on video only
        #expect(routing.retransmissionPayloadTypes == [97: 96])
        let unwrapped = try #require(routing.unwrapRetransmission(Self.rtx(ssrc: Self.rtxSSRC, originalSequence: 500),
                                                                   knownTracks: [:]))
        #expect(unwrapped.ssrc == Self.mediaSSRC && unwrapped.payloadType == 96 && unwrapped.sequenceNumber == 500)
        #expect(Array(unwrapped.payload) == [0x10, 0x00, 0x9d] && unwrapped.marker && unwrapped.timestamp == 900)
    }

    @Test func unsignalledRTXGoesToTheOnlyStreamOfItsPayloadType() throws {
        let routing = try Self.routing(stripSSRCs: true)
        let video = MediaTrack(kind: .video, codec: .vp8, ssrc: 1234, payloadType: 96, clockRate: 90_000, mid: "1")
        let audio = MediaTrack(kind: .audio, codec: .opus, ssrc: 99, payloadType: 111, clockRate: 48_000, mid: "0")
        let packet = Self.rtx(ssrc: 5555, originalSequence: 1)
        #expect(routing.unwrapRetransmission(packet, knownTracks: [1234: video, 99: audio])?.ssrc == 1234)
        // Two candidates, or none: it cannot be placed, and is dropped rather than guessed.
        var other = video
        other.ssrc = 4321
        #expect(routing.unwrapRetransmission(packet, knownTracks: [1234: video, 4321: other]) == nil)
        #expect(routing.unwrapRetransmission(packet, knownTracks: [99: audio]) == nil)
    }
}
