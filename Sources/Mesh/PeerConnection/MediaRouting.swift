/// Which negotiated track an incoming RTP packet belongs to, by payload type.
///
/// BUNDLE puts every m-line on one transport. Payload types are unique across the bundle in the
/// offers browsers make, so the payload type alone finds the m-line and codec; RTX payload types
/// are known so that retransmissions are unwrapped (RFC 4588) and bandwidth probes not mistaken for media.
struct MediaRouting: Sendable {
    struct Route: Sendable {
        var kind: MediaTrack.Kind
        var codec: MediaTrack.Codec
        var clockRate: UInt32
        var mid: String
    }

    private(set) var routes: [UInt8: Route] = [:]
    /// RTX payload types, each with the media payload type it carries (`apt`).
    private(set) var retransmissionPayloadTypes: [UInt8: UInt8] = [:]
    /// Media payload types whose losses we ask for again: the peer accepted generic NACK for them.
    private(set) var nackPayloadTypes: Set<UInt8> = []
    /// RTX SSRC to media SSRC, from the peer's `a=ssrc-group:FID`.
    private(set) var retransmissionSSRCs: [UInt32: UInt32] = [:]
    /// RTX SSRC to media SSRC for a peer that signalled none: the first RTX source seen for a stream is its
    /// partner from then on, and no other source may repair that stream.
    private(set) var pinnedRetransmissionSSRCs: [UInt32: UInt32] = [:]
    /// The transport-wide sequence number extension id, when negotiated (same id on every m-line).
    private(set) var transportWideSequenceID: UInt8?
    private(set) var signalledVideoSSRCs: [UInt32] = []
    /// The SCTP ports and the peer's message limit, when the data channel m-line was accepted.
    private(set) var dataChannel: NegotiatedSCTP?

    init() {}

    init(_ session: NegotiatedSession) {
        for media in session.accepted {
            if let sctp = media.sctp { dataChannel = sctp }
            // Only m-lines on which the peer sends are routes: a recvonly one carries nothing to us.
            guard media.direction.receives else { continue }
            // A peer may send any codec both descriptions list: Chromium answering our VP8-first offer
            // sends VP8 even when its own answer put VP9 first.
            for negotiated in [media.codec, media.sendCodec].compactMap({ $0 }) {
                let kind: MediaTrack.Kind = media.kind == .audio ? .audio : .video
                let codec: MediaTrack.Codec
                switch negotiated.codec {
                case .opus: codec = .opus
                case .vp8: codec = .vp8
                case .vp9: codec = .vp9
                }
                routes[negotiated.payloadType] = Route(kind: kind, codec: codec, clockRate: negotiated.clockRate,
                                                       mid: media.mid)
                if let rtx = negotiated.rtxPayloadType { retransmissionPayloadTypes[rtx] = negotiated.payloadType }
                if negotiated.feedback.contains(where: { $0.type == "nack" && $0.parameter == nil }) {
                    nackPayloadTypes.insert(negotiated.payloadType)
                }
            }
            if transportWideSequenceID == nil {
                transportWideSequenceID = media.headerExtensionId(HeaderExtensionURI.transportWideCC)
            }
            if media.kind == .video { signalledVideoSSRCs += media.remoteStreams.map(\.ssrc) }
            for stream in media.remoteStreams {
                if let rtx = stream.rtxSSRC { retransmissionSSRCs[rtx] = stream.ssrc }
            }
        }
    }

    var receivingKinds: Set<MediaTrack.Kind> { Set(routes.values.map(\.kind)) }

    /// The media packet inside an RTX packet, on its media SSRC: the signalled FID partner, or else, for a
    /// stream whose RTX was not signalled, its pinned partner, the first RTX source seen while it was the one
    /// stream of the associated payload type. Nil for padding-only probes and RTX we cannot place.
    ///
    /// An RTX packet rewrites the media stream's sequence numbers (OSN), so an RTX source that is not the
    /// stream's partner is refused: a peer inventing RTX sources could otherwise push a sequence number far
    /// ahead into the stream and make its jitter buffer take the real packets after it as late.
    mutating func unwrapRetransmission(_ packet: RTPPacket, knownTracks: [UInt32: MediaTrack]) -> RTPPacket? {
        guard let mediaPayloadType = retransmissionPayloadTypes[packet.payloadType] else { return nil }
        let mediaSSRC: UInt32
        if let signalled = retransmissionSSRCs[packet.ssrc] {
            mediaSSRC = signalled
        } else if let pinned = pinnedRetransmissionSSRCs[packet.ssrc] {
            mediaSSRC = pinned
        } else {
            let candidates = knownTracks.values.filter { $0.payloadType == mediaPayloadType }
            guard candidates.count == 1, let only = candidates.first,
                  !retransmissionSSRCs.values.contains(only.ssrc),
                  !pinnedRetransmissionSSRCs.values.contains(only.ssrc),
                  pinnedRetransmissionSSRCs.count < SSRCAdmission.maximumSources
            else { return nil }
            // A padding-only probe carries no original: it places nothing, so it pins nothing.
            guard packet.payload.count >= 2 else { return nil }
            pinnedRetransmissionSSRCs[packet.ssrc] = only.ssrc
            mediaSSRC = only.ssrc
        }
        return RetransmissionPayload.unwrap(packet, mediaPayloadType: mediaPayloadType, mediaSSRC: mediaSSRC)
    }

    func track(for packet: RTPPacket) -> MediaTrack? {
        guard let route = routes[packet.payloadType] else { return nil }
        return MediaTrack(kind: route.kind, codec: route.codec, ssrc: packet.ssrc, payloadType: packet.payloadType,
                          clockRate: route.clockRate, mid: route.mid)
    }
}
