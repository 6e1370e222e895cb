/// Answers a remote offer as a recording participant (JSEP RFC 8829 §5.3).
///
/// Choices, and why:
/// - Audio takes Opus only, video VP8 or VP9 (profile 0): the recorder writes WebM without
///   transcoding. The answer lists just the chosen codec and its RTX, so the sender has no other choice.
/// - Only header extensions and RTCP feedback the RTP code implements are echoed; `extmap-allow-mixed`
///   is not, so senders keep to one-byte extension headers where they can.
/// - One transport: every accepted m-line must be in the offer's BUNDLE group (m-lines outside it are
///   rejected) and must carry `a=rtcp-mux` (else the whole offer fails with `.rtcpMuxRequired`; Chromium
///   and aiortc always send it, and a silently missing track would be worse than a clear error).
/// - Like Chromium's answers, candidates and `a=end-of-candidates` appear only in the first bundled
///   m-line, and there is no `a=ice-options:trickle`: the answer carries every candidate.
/// - DTLS: `local.answerSetup` (normally `passive`, so we are the DTLS server) when the offer says
///   `actpass`; the complement when the offerer insists on a role.
public func makeAnswer(
    to offer: SessionDescription, local: LocalTransportParameters, policy: CodecPolicy = .default
) throws -> NegotiatedSession {
    let remote = try RemoteTransportParameters(from: offer)
    let localSetup = try answerSetup(remote: remote.setup, preferred: local.answerSetup)
    let offeredBundle = offer.bundleMids ?? []

    // First pass: decide each m-line, so the BUNDLE group and candidate placement are known.
    var decisions: [(media: MediaDescription, mid: String, outcome: AnswerOutcome)] = []
    for (index, media) in offer.media.enumerated() {
        guard let mid = media.mid else { throw NegotiationError.missingMid(mLineIndex: index) }
        decisions.append((media, mid, try decide(media, mid: mid, offer: offer, bundle: offeredBundle, policy: policy)))
    }
    // Our tracks go on the first accepted m-line of their kind only.
    var tracksPlaced: Set<MediaKind> = []
    for index in decisions.indices {
        guard case .rtp(let codec, let offered) = decisions[index].outcome else { continue }
        let kind = decisions[index].media.kind
        let sends = local.track(for: kind) != nil && tracksPlaced.insert(kind).inserted
        decisions[index].outcome = .rtp(codec, answerDirection(offered: offered, weSend: sends))
    }
    let sendingKinds = Set(decisions.compactMap { decision in
        if case .rtp(_, let direction) = decision.outcome, direction.sends { return decision.media.kind }
        return nil
    })

    let acceptedMids = decisions.filter { !$0.outcome.isRejected }.map(\.mid)
    guard !acceptedMids.isEmpty else { throw NegotiationError.nothingAccepted }
    if offeredBundle.isEmpty && acceptedMids.count > 1 { throw NegotiationError.bundleRequired }
    let bundle = offeredBundle.filter { acceptedMids.contains($0) }
    let transportMid = bundle.first ?? acceptedMids[0]

    var answer = SessionDescription.local(local, bundle: bundle, sending: !sendingKinds.isEmpty)
    var negotiated: [NegotiatedMedia] = []
    let (defaultConnection, defaultPort) = local.defaultAddress

    for (offered, mid, outcome) in decisions {
        let carriesTransport = mid == transportMid
        let connection = carriesTransport ? defaultConnection : "IN IP4 0.0.0.0"
        let port = carriesTransport ? defaultPort : 9
        switch outcome {
        case .rejected(let reason):
            // JSEP §5.3.1: port 0, the offer's proto and a minimal format list, only a=mid.
            var section = MediaDescription(
                kind: offered.kind, port: 0, proto: offered.proto, formats: Array(offered.formats.prefix(1)),
                connection: "IN IP4 0.0.0.0")
            section.append("mid", mid)
            answer.media.append(section)
            negotiated.append(.rejected(mid: mid, kind: offered.kind, reason: reason))

        case .dataChannel:
            var section = MediaDescription(
                kind: .application, port: port, proto: offered.proto, formats: offered.formats, connection: connection)
            section.appendTransport(local, setup: localSetup, withCandidates: carriesTransport)
            section.append("mid", mid)
            section.append("sctp-port", String(local.sctpPort))
            section.append("max-message-size", String(local.maxMessageSize))
            answer.media.append(section)
            negotiated.append(NegotiatedMedia(
                mid: mid, kind: .application, isAccepted: true, rejectionReason: nil, direction: .sendrecv,
                codec: nil, headerExtensions: [], remoteStreams: [],
                sctp: MediaReading.sctp(in: offered, localPort: local.sctpPort)))

        case .rtp(let codec, let direction):
            let track = direction.sends ? local.track(for: offered.kind) : nil
            let extensions = MediaReading.supportedExtensions(in: offered)
            var formats = [String(codec.payloadType)]
            if let rtx = codec.rtxPayloadType { formats.append(String(rtx)) }
            var section = MediaDescription(
                kind: offered.kind, port: port, proto: offered.proto, formats: formats, connection: connection)
            section.appendTransport(local, setup: localSetup, withCandidates: carriesTransport)
            section.append("mid", mid)
            for ext in extensions { section.append("extmap", ext.sdpValue) }
            section.append(direction.rawValue)
            if let track { section.append("msid", MediaStreamID(streamId: local.streamId, trackId: track.trackId).sdpValue) }
            section.append("rtcp-mux")
            if offered.rtcpReducedSize { section.append("rtcp-rsize") }
            section.appendCodec(codec, encodingName: offered.rtpMap(for: codec.payloadType)?.encodingName ?? codec.codec.encodingName)
            // Our tile is VP8: when the peer sends VP9, VP8 is listed second, so that we may send it.
            var sendCodec: NegotiatedCodec?
            if track != nil, codec.codec == .vp9,
               let (map, vp8) = MediaReading.recordableCodecs(in: offered).first(where: { $0.1 == .vp8 }) {
                var extra = MediaReading.negotiatedCodec(map, vp8, in: offered)
                extra.rtxPayloadType = nil
                section.formats.append(String(extra.payloadType))
                section.appendCodec(extra, encodingName: map.encodingName)
                sendCodec = extra
            }
            if let track { section.appendSendTrack(track, local: local, withRTX: codec.rtxPayloadType != nil) }
            answer.media.append(section)
            negotiated.append(NegotiatedMedia(
                mid: mid, kind: offered.kind, isAccepted: true, rejectionReason: nil, direction: direction,
                codec: codec, sendCodec: sendCodec, headerExtensions: extensions,
                remoteStreams: MediaReading.remoteStreams(in: offered), sctp: nil))
        }
    }
    return NegotiatedSession(answer: answer, media: negotiated, remote: remote, localSetup: localSetup, bundleMids: bundle)
}

private enum AnswerOutcome {
    case rejected(String)
    case dataChannel
    /// The codec, and first the offered direction, then (after the second pass) our answer's direction.
    case rtp(NegotiatedCodec, MediaDirection)

    var isRejected: Bool {
        if case .rejected = self { return true }
        return false
    }
}

private func decide(
    _ media: MediaDescription, mid: String, offer: SessionDescription, bundle: [String], policy: CodecPolicy
) throws -> AnswerOutcome {
    if media.isRejected { return .rejected("rejected in the offer (port 0)") }
    if !bundle.isEmpty && !bundle.contains(mid) { return .rejected("not in the offer's BUNDLE group") }
    switch media.kind {
    case .application:
        guard MediaReading.isDataChannel(media) else {
            return .rejected("unsupported application m-line '\(media.proto) \(media.formats.joined(separator: " "))'")
        }
        return .dataChannel
    case .audio, .video:
        guard media.proto.uppercased().hasSuffix("RTP/SAVPF") else {
            return .rejected("unsupported protocol \(media.proto) (WebRTC needs RTP/SAVPF)")
        }
        let codecs = MediaReading.recordableCodecs(in: media)
        let preferred = policy.preferVP9 ? codecs.first { $0.1 == .vp9 } : nil
        guard let (map, codec) = preferred ?? codecs.first else {
            return .rejected("no recordable codec offered (Opus for audio, VP8 or VP9 for video)")
        }
        guard media.rtcpMux else { throw NegotiationError.rtcpMuxRequired(mid: mid) }
        let negotiated = MediaReading.negotiatedCodec(map, codec, in: media)
        return .rtp(policy.lossRepair ? negotiated : negotiated.withoutRetransmission, offer.direction(for: media))
    case .other(let name):
        return .rejected("unknown media kind '\(name)'")
    }
}

/// JSEP §5.3.1 direction rules: we receive what is sent to us and send only if we have a track.
func answerDirection(offered: MediaDirection, weSend: Bool) -> MediaDirection {
    switch offered {
    case .sendrecv: weSend ? .sendrecv : .recvonly
    case .sendonly: .recvonly
    case .recvonly: weSend ? .sendonly : .inactive
    case .inactive: .inactive
    }
}

private func answerSetup(remote: DTLSSetup, preferred: DTLSSetup) throws -> DTLSSetup {
    switch remote {
    case .actpass: return preferred == .active ? .active : .passive
    case .active: return .passive
    case .passive: return .active
    case .holdconn: throw NegotiationError.setupConflict(remote: remote, local: preferred)
    }
}
