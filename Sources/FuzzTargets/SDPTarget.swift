import Mesh

/// SDP as it arrives in a room frame (RFC 8866): parse and re-serialize (what we write must parse back to
/// the same text), answer it as the recorder does, and apply it as the answer to our own offer.
enum SDPTarget {
    static let local: LocalTransportParameters = {
        var local = LocalTransportParameters(
            iceUfrag: "botU", icePwd: "botpasswordbotpassword01", fingerprint: "sha-256 01:02:03",
            candidates: ["1 1 udp 2130706431 127.0.0.1 40000 typ host"], sessionId: 42, cname: "bot-cname")
        local.streamId = "bot-stream"
        local.audioTrack = LocalTrack(trackId: "bot-audio", ssrc: 1111)
        local.videoTrack = LocalTrack(trackId: "bot-video", ssrc: 2222, rtxSSRC: 3333)
        return local
    }()
    static let ourOffer = makeOffer(local: local)

    static let target = FuzzTarget(name: "sdp", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        guard let description = try? SessionDescription(parsing: String(decoding: bytes, as: UTF8.self)) else { return }
        // The writer puts lines a parser keeps as they came (r=, e=, …) in RFC 8866 order, so the property is
        // that what we write is a fixed point: it parses back to a description that writes the same text.
        let written = description.serialized()
        RoundTrip.require(written, (try? SessionDescription(parsing: written))?.serialized(), "SDP")
        if let negotiated = try? makeAnswer(to: description, local: local) {
            let answer = negotiated.answer
            RoundTrip.require(answer, try? SessionDescription(parsing: answer.serialized()), "SDP answer")
        }
        _ = try? applyAnswer(description, to: ourOffer)
    }

    static func seeds() -> [[UInt8]] {
        let offer = ourOffer
        var seeds = [Array(offer.serialized().utf8)]
        if let answer = try? makeAnswer(to: offer, local: local).answer {
            seeds.append(Array(answer.serialized().utf8))
        }
        return seeds
    }
}
