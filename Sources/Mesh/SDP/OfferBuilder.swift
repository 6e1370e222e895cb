/// Options for the bot's own offer (PROTOCOL.md: the bot offers to everyone who joins after it).
public struct OfferOptions: Sendable, Hashable {
    /// Offer RED (RFC 2198, payload type 63) for Opus; off because the recorder depacketizes plain Opus.
    public var audioRED: Bool
    /// Offer generic NACK and RTX for video (see `CodecPolicy.lossRepair`).
    public var lossRepair: Bool

    public init(audioRED: Bool = false, lossRepair: Bool = true) {
        self.audioRED = audioRED
        self.lossRepair = lossRepair
    }
}

/// Payload types and extension ids as the room's Chromium page uses them, so answers from
/// browsers line up with what the rest of the room sees.
enum OfferLayout {
    static let opus: UInt8 = 111
    static let red: UInt8 = 63
    static let vp8: UInt8 = 96
    static let vp8RTX: UInt8 = 97
    static let vp9: UInt8 = 98
    static let vp9RTX: UInt8 = 99
    static let audioExtensions = [
        ExtMap(id: 1, uri: HeaderExtensionURI.audioLevel),
        ExtMap(id: 2, uri: HeaderExtensionURI.absSendTime),
        ExtMap(id: 3, uri: HeaderExtensionURI.transportWideCC),
        ExtMap(id: 4, uri: HeaderExtensionURI.mid),
    ]
    static let videoExtensions = [
        ExtMap(id: 2, uri: HeaderExtensionURI.absSendTime),
        ExtMap(id: 3, uri: HeaderExtensionURI.transportWideCC),
        ExtMap(id: 4, uri: HeaderExtensionURI.mid),
    ]
    static let videoFeedback: [(String, String?)] = [
        ("goog-remb", nil), ("transport-cc", nil), ("ccm", "fir"), ("nack", nil), ("nack", "pli"),
    ]
}

/// The bot's offer: audio (mid 0), video (mid 1) and the data channel (mid 2) the room's page
/// waits for, all in one BUNDLE group, `a=setup:actpass`, and every candidate inside (no trickle).
/// Unlike an answer, each m-line repeats the candidates: until the answer arrives the offerer cannot
/// know the answerer will bundle, and the bot serves all m-lines from the same socket anyway.
public func makeOffer(local: LocalTransportParameters, options: OfferOptions = OfferOptions()) -> SessionDescription {
    let sending = local.audioTrack != nil || local.videoTrack != nil
    var offer = SessionDescription.local(local, bundle: ["0", "1", "2"], sending: sending)
    let (connection, port) = local.defaultAddress

    func section(_ kind: MediaKind, mid: String, formats: [String], proto: String = "UDP/TLS/RTP/SAVPF") -> MediaDescription {
        var media = MediaDescription(kind: kind, port: port, proto: proto, formats: formats, connection: connection)
        media.appendTransport(local, setup: .actpass, withCandidates: true)
        media.append("mid", mid)
        return media
    }

    func appendDirectionAndTrack(_ media: inout MediaDescription, _ track: LocalTrack?, extensions: [ExtMap]) {
        for ext in extensions { media.append("extmap", ext.sdpValue) }
        media.append(track == nil ? MediaDirection.recvonly.rawValue : MediaDirection.sendrecv.rawValue)
        if let track { media.append("msid", MediaStreamID(streamId: local.streamId, trackId: track.trackId).sdpValue) }
        media.append("rtcp-mux")
        media.append("rtcp-rsize")
    }

    var audioFormats = [String(OfferLayout.opus)]
    if options.audioRED { audioFormats.append(String(OfferLayout.red)) }
    var audio = section(.audio, mid: "0", formats: audioFormats)
    appendDirectionAndTrack(&audio, local.audioTrack, extensions: OfferLayout.audioExtensions)
    audio.appendCodec(
        NegotiatedCodec(
            codec: .opus, payloadType: OfferLayout.opus, clockRate: 48000, channels: 2,
            parameters: [FormatParameter("minptime", "10"), FormatParameter("useinbandfec", "1")],
            feedback: [RTCPFeedback(payloadType: OfferLayout.opus, type: "transport-cc")]),
        encodingName: "opus")
    if options.audioRED {
        audio.append("rtpmap", RTPMap(payloadType: OfferLayout.red, encodingName: "red", clockRate: 48000, channels: 2).sdpValue)
        audio.append("fmtp", "\(OfferLayout.red) \(OfferLayout.opus)/\(OfferLayout.opus)")
    }
    if let track = local.audioTrack { audio.appendSendTrack(track, local: local, withRTX: false) }
    offer.media.append(audio)

    let videoCodecs: [(RecordableCodec, UInt8, UInt8, [FormatParameter])] = [
        (.vp8, OfferLayout.vp8, OfferLayout.vp8RTX, []),
        (.vp9, OfferLayout.vp9, OfferLayout.vp9RTX, [FormatParameter("profile-id", "0")]),
    ]
    let videoFormats = videoCodecs.flatMap { options.lossRepair ? [String($0.1), String($0.2)] : [String($0.1)] }
    var video = section(.video, mid: "1", formats: videoFormats)
    appendDirectionAndTrack(&video, local.videoTrack, extensions: OfferLayout.videoExtensions)
    for (codec, pt, rtx, parameters) in videoCodecs {
        let offered = NegotiatedCodec(
            codec: codec, payloadType: pt, clockRate: 90000, parameters: parameters, rtxPayloadType: rtx,
            feedback: OfferLayout.videoFeedback.map { RTCPFeedback(payloadType: pt, type: $0.0, parameter: $0.1) })
        video.appendCodec(options.lossRepair ? offered : offered.withoutRetransmission, encodingName: codec.encodingName)
    }
    if let track = local.videoTrack { video.appendSendTrack(track, local: local, withRTX: options.lossRepair) }
    offer.media.append(video)

    var data = section(.application, mid: "2", formats: ["webrtc-datachannel"], proto: "UDP/DTLS/SCTP")
    data.append("sctp-port", String(local.sctpPort))
    data.append("max-message-size", String(local.maxMessageSize))
    offer.media.append(data)
    return offer
}

/// Reads the remote's answer to `offer` (one we made with `makeOffer`): per m-line the codec the
/// answerer chose (its first recordable payload type), its SSRCs, the extension ids and feedback it
/// kept, and the transport. The answerer must bundle every accepted m-line, keep rtcp-mux, and take
/// a definite DTLS role (`active` expected, which makes us the DTLS server).
public func applyAnswer(_ answer: SessionDescription, to offer: SessionDescription) throws -> NegotiatedSession {
    guard answer.media.count == offer.media.count else {
        throw NegotiationError.answerMismatch("\(answer.media.count) m-lines answer \(offer.media.count) offered")
    }
    let remote = try RemoteTransportParameters(from: answer)
    let localSetup: DTLSSetup
    switch remote.setup {
    case .active: localSetup = .passive
    case .passive: localSetup = .active
    case .actpass, .holdconn:
        throw NegotiationError.answerMismatch("a=setup:\(remote.setup.rawValue) is not a valid answer to actpass")
    }
    let bundle = answer.bundleMids ?? []
    var negotiated: [NegotiatedMedia] = []
    for (index, (offered, answered)) in zip(offer.media, answer.media).enumerated() {
        guard let mid = offered.mid else { throw NegotiationError.missingMid(mLineIndex: index) }
        guard answered.mid == mid, answered.kind == offered.kind else {
            throw NegotiationError.answerMismatch(
                "m-line \(index) is \(answered.kind) mid \(answered.mid ?? "none"), offered \(offered.kind) mid \(mid)")
        }
        if answered.isRejected || offered.isRejected {
            negotiated.append(.rejected(mid: mid, kind: offered.kind, reason: "rejected by the answerer (port 0)"))
            continue
        }
        if !bundle.contains(mid) && offer.media.filter({ !$0.isRejected }).count > 1 {
            throw NegotiationError.bundleRequired
        }
        switch offered.kind {
        case .application:
            negotiated.append(NegotiatedMedia(
                mid: mid, kind: .application, isAccepted: true, rejectionReason: nil, direction: .sendrecv,
                codec: nil, headerExtensions: [], remoteStreams: [],
                sctp: MediaReading.sctp(in: answered, localPort: offered.sctpPort ?? 5000)))
        case .audio, .video:
            guard answered.rtcpMux else { throw NegotiationError.rtcpMuxRequired(mid: mid) }
            let offeredTypes = Set(offered.payloadTypes)
            if let stray = answered.payloadTypes.first(where: { !offeredTypes.contains($0) }) {
                throw NegotiationError.answerMismatch("m-line \(mid) answers payload type \(stray), which was not offered")
            }
            guard let (map, codec) = MediaReading.recordableCodecs(in: answered).first else {
                throw NegotiationError.answerMismatch("m-line \(mid) accepted without Opus, VP8 or VP9")
            }
            negotiated.append(NegotiatedMedia(
                mid: mid, kind: offered.kind, isAccepted: true, rejectionReason: nil,
                direction: answer.direction(for: answered).reversed,
                codec: MediaReading.negotiatedCodec(map, codec, in: answered),
                sendCodec: codec == .vp9
                    ? MediaReading.recordableCodecs(in: answered).first(where: { $0.1 == .vp8 })
                        .map { MediaReading.negotiatedCodec($0.0, $0.1, in: answered) }
                    : nil,
                headerExtensions: MediaReading.supportedExtensions(in: answered),
                remoteStreams: MediaReading.remoteStreams(in: answered), sctp: nil))
        case .other:
            negotiated.append(.rejected(mid: mid, kind: offered.kind, reason: "unknown media kind"))
        }
    }
    guard negotiated.contains(where: \.isAccepted) else { throw NegotiationError.nothingAccepted }
    return NegotiatedSession(answer: answer, media: negotiated, remote: remote, localSetup: localSetup, bundleMids: bundle)
}
