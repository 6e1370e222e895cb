import Testing
@testable import Mesh

/// `join --no-loss-repair` (for measuring what repair is worth): neither NACK nor RTX is negotiated, in
/// either role, while keyframe requests stay.
@Suite struct NoLossRepairNegotiationTests {
    static func videoLines(_ description: String) -> [Substring] {
        let lines = description.split(separator: "\r\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("m=video") }) else { return [] }
        return [lines[start]] + lines[(start + 1)...].prefix { !$0.hasPrefix("m=") }
    }

    @Test func answerToChromiumLeavesOutNackAndRTX() throws {
        let offer = try SessionDescription(parsing: try SDPFixtures.text("chromium-156-offer"))
        let negotiated = try makeAnswer(to: offer, local: SDPNegotiationTests.local, policy: CodecPolicy(lossRepair: false))
        let routing = MediaRouting(negotiated)
        #expect(routing.nackPayloadTypes.isEmpty)
        #expect(routing.retransmissionPayloadTypes.isEmpty)
        let video = Self.videoLines(negotiated.answer.serialized())
        #expect(!video.isEmpty)
        #expect(!video.contains { $0.contains(" rtx/") || $0 == "a=rtcp-fb:96 nack" }, "\(video)")
        #expect(video.contains("a=rtcp-fb:96 nack pli"), "\(video)")

        let repaired = MediaRouting(try makeAnswer(to: offer, local: SDPNegotiationTests.local))
        #expect(repaired.nackPayloadTypes == [96] && repaired.retransmissionPayloadTypes == [97: 96])
    }

    @Test func offerLeavesOutNackAndRTX() {
        let offer = makeOffer(local: SDPNegotiationTests.sendingLocal, options: OfferOptions(lossRepair: false)).serialized()
        let video = Self.videoLines(offer)
        #expect(!video.isEmpty)
        #expect(!video.contains { $0.contains(" rtx/") || $0.hasSuffix(" nack") || $0.hasPrefix("a=ssrc-group:FID") }, "\(video)")
        #expect(video.contains { $0.hasSuffix(" nack pli") }, "\(video)")
        #expect(video.contains { $0.hasSuffix(" ccm fir") }, "\(video)")
    }
}
