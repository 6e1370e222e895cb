// Building blocks shared by the offer and answer builders, so both write m-lines in the order
// Chromium does (transport, mid, extensions, direction, msid, rtcp, codecs, ssrcs).

extension MediaDescription {
    /// Transport attributes of a bundled m-line; candidates only where `withCandidates` says.
    mutating func appendTransport(_ local: LocalTransportParameters, setup: DTLSSetup, withCandidates: Bool) {
        if kind != .application { append("rtcp", "9 IN IP4 0.0.0.0") }
        if withCandidates {
            for candidate in local.candidates { append("candidate", candidate) }
            // Non-trickle: every candidate is already here (PROTOCOL.md), so say so.
            append("end-of-candidates")
        }
        append("ice-ufrag", local.iceUfrag)
        append("ice-pwd", local.icePwd)
        append("fingerprint", local.fingerprint)
        append("setup", setup.rawValue)
    }

    mutating func appendCodec(_ codec: NegotiatedCodec, encodingName: String) {
        let map = RTPMap(
            payloadType: codec.payloadType, encodingName: encodingName, clockRate: codec.clockRate, channels: codec.channels)
        append("rtpmap", map.sdpValue)
        for feedback in codec.feedback { append("rtcp-fb", feedback.sdpValue) }
        if !codec.parameters.isEmpty {
            append("fmtp", FormatParameters(payloadType: codec.payloadType, parameters: codec.parameters).sdpValue)
        }
        if let rtx = codec.rtxPayloadType {
            append("rtpmap", RTPMap(payloadType: rtx, encodingName: "rtx", clockRate: codec.clockRate).sdpValue)
            append("fmtp", "\(rtx) apt=\(codec.payloadType)")
        }
    }

    /// `a=ssrc` lines for a track we send, Chromium style (FID group first, then cname and msid per SSRC).
    mutating func appendSendTrack(_ track: LocalTrack, local: LocalTransportParameters, withRTX: Bool) {
        let msid = MediaStreamID(streamId: local.streamId, trackId: track.trackId).sdpValue
        var ssrcs = [track.ssrc]
        if withRTX, let rtx = track.rtxSSRC {
            ssrcs.append(rtx)
            append("ssrc-group", SSRCGroup(semantics: "FID", ssrcs: ssrcs).sdpValue)
        }
        for ssrc in ssrcs {
            append("ssrc", SSRCAttribute(ssrc: ssrc, name: "cname", value: local.cname).sdpValue)
            append("ssrc", SSRCAttribute(ssrc: ssrc, name: "msid", value: msid).sdpValue)
        }
    }
}

extension SessionDescription {
    static func local(_ local: LocalTransportParameters, bundle: [String], sending: Bool) -> SessionDescription {
        var description = SessionDescription(
            origin: SDPOrigin(sessionId: String(local.sessionId), sessionVersion: String(local.sessionVersion)))
        if !bundle.isEmpty { description.append("group", MediaGroup(semantics: "BUNDLE", mids: bundle).sdpValue) }
        description.append("msid-semantic", sending ? " WMS \(local.streamId)" : " WMS")
        return description
    }
}

extension RecordableCodec {
    /// The encoding name as browsers write it in rtpmap.
    var encodingName: String {
        switch self {
        case .opus: "opus"
        case .vp8: "VP8"
        case .vp9: "VP9"
        }
    }
}
