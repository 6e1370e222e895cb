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
        var routing = try Self.routing(stripSSRCs: false)
        #expect(routing.nackPayloadTypes == [96])  // Chromium offers nack on video only
        #expect(routing.retransmissionPayloadTypes == [97: 96])
        let placed = routing.unwrapRetransmission(Self.rtx(ssrc: Self.rtxSSRC, originalSequence: 500), knownTracks: [:])
        let unwrapped = try #require(placed)
        #expect(unwrapped.ssrc == Self.mediaSSRC && unwrapped.payloadType == 96 && unwrapped.sequenceNumber == 500)
        #expect(Array(unwrapped.payload) == [0x10, 0x00, 0x9d] && unwrapped.marker && unwrapped.timestamp == 900)
        // The stream has its signalled partner: RTX from any other source is not its repair.
        let video = MediaTrack(kind: .video, codec: .vp8, ssrc: Self.mediaSSRC, payloadType: 96, clockRate: 90_000, mid: "1")
        let stranger = routing.unwrapRetransmission(Self.rtx(ssrc: 5555, originalSequence: 501), knownTracks: [Self.mediaSSRC: video])
        #expect(stranger == nil)
    }

    @Test func unsignalledRTXGoesToTheOnlyStreamOfItsPayloadType() throws {
        let video = MediaTrack(kind: .video, codec: .vp8, ssrc: 1234, payloadType: 96, clockRate: 90_000, mid: "1")
        let audio = MediaTrack(kind: .audio, codec: .opus, ssrc: 99, payloadType: 111, clockRate: 48_000, mid: "0")
        let packet = Self.rtx(ssrc: 5555, originalSequence: 1)
        var routing = try Self.routing(stripSSRCs: true)
        let toTheOnlyVideo = routing.unwrapRetransmission(packet, knownTracks: [1234: video, 99: audio])
        #expect(toTheOnlyVideo?.ssrc == 1234)
        // Two candidates, or none: it cannot be placed, and is dropped rather than guessed.
        var other = video
        other.ssrc = 4321
        var fresh = try Self.routing(stripSSRCs: true)
        let amongTwo = fresh.unwrapRetransmission(packet, knownTracks: [1234: video, 4321: other])
        #expect(amongTwo == nil)
        let withNoVideo = fresh.unwrapRetransmission(packet, knownTracks: [99: audio])
        #expect(withNoVideo == nil)
    }

    @Test func theFirstUnsignalledRTXSourceOfAStreamIsItsOnlyOne() throws {
        let video = MediaTrack(kind: .video, codec: .vp8, ssrc: 1234, payloadType: 96, clockRate: 90_000, mid: "1")
        var routing = try Self.routing(stripSSRCs: true)
        // A padding-only probe first: it pins nothing.
        let probe = RTPPacket(payloadType: 97, sequenceNumber: 1, timestamp: 0, ssrc: 7777, marker: false, payload: [][...])
        let fromAProbe = routing.unwrapRetransmission(probe, knownTracks: [1234: video])
        #expect(fromAProbe == nil)
        let firstRepair = routing.unwrapRetransmission(Self.rtx(ssrc: 5555, originalSequence: 1), knownTracks: [1234: video])
        #expect(firstRepair?.ssrc == 1234)
        let secondRepair = routing.unwrapRetransmission(Self.rtx(ssrc: 5555, originalSequence: 2), knownTracks: [1234: video])
        #expect(secondRepair?.ssrc == 1234)
        // Invented RTX sources, each carrying a sequence number far ahead of the stream: none is placed.
        for invented in UInt32(10_000)..<10_500 {
            let fromAnInventedSource = routing.unwrapRetransmission(Self.rtx(ssrc: invented, originalSequence: 40_000), knownTracks: [1234: video])
            #expect(fromAnInventedSource == nil)
        }
        #expect(routing.pinnedRetransmissionSSRCs == [5555: 1234])
    }
}
