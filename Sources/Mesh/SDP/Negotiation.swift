// What offer/answer settles for one connection, and the codec and RTP feature set EngageBot
// accepts. The recorder writes WebM without transcoding, so only Opus, VP8 and VP9 are ever
// negotiated; H264 and AV1 are refused even when they are all a peer offers.

/// How to choose among the video codecs we can record.
public struct CodecPolicy: Sendable, Hashable {
    /// Take VP9 whenever it is offered; otherwise the offerer's first of VP8/VP9 wins.
    public var preferVP9: Bool
    /// Accept generic NACK (RFC 4585) and RTX (RFC 4588). Off only to measure what loss repair is worth: the
    /// sender then never resends, and every lost packet costs the picture until the next keyframe.
    public var lossRepair: Bool

    public init(preferVP9: Bool = false, lossRepair: Bool = true) {
        self.preferVP9 = preferVP9
        self.lossRepair = lossRepair
    }

    public static let `default` = CodecPolicy()
}

public enum RecordableCodec: String, Sendable, Hashable {
    case opus, vp8, vp9

    /// Recognises a codec from its rtpmap and fmtp. VP9 is only profile 0 (8-bit 4:2:0), the
    /// profile every WebM player decodes; Chromium also offers profile 2 (10-bit) under another type.
    init?(rtpMap: RTPMap, parameters: FormatParameters?) {
        switch rtpMap.encodingName.lowercased() {
        case "opus" where rtpMap.clockRate == 48000 && rtpMap.channels == 2: self = .opus
        case "vp8" where rtpMap.clockRate == 90000: self = .vp8
        case "vp9" where rtpMap.clockRate == 90000 && (parameters?["profile-id"] ?? "0") == "0": self = .vp9
        default: return nil
        }
    }

    var kind: MediaKind { self == .opus ? .audio : .video }
}

/// RTP header extensions whose ids the RTP code needs; every other extension is left out of answers.
public enum HeaderExtensionURI {
    public static let mid = "urn:ietf:params:rtp-hdrext:sdes:mid"
    public static let transportWideCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    public static let absSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    public static let audioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

    public static let supported: Set<String> = [mid, transportWideCC, absSendTime, audioLevel]
}

/// RTCP feedback the RTP code answers or sends: retransmission requests, keyframe requests and
/// bandwidth feedback (senders pick their quality from REMB or transport-cc, see DESIGN.md).
public enum SupportedFeedback {
    public static let all: [RTCPFeedback] = [
        RTCPFeedback(payloadType: nil, type: "nack"),
        RTCPFeedback(payloadType: nil, type: "nack", parameter: "pli"),
        RTCPFeedback(payloadType: nil, type: "ccm", parameter: "fir"),
        RTCPFeedback(payloadType: nil, type: "goog-remb"),
        RTCPFeedback(payloadType: nil, type: "transport-cc"),
    ]

    static func contains(_ feedback: RTCPFeedback) -> Bool {
        all.contains { $0.type == feedback.type && $0.parameter == feedback.parameter }
    }
}

/// The codec an m-line settled on.
public struct NegotiatedCodec: Sendable, Hashable {
    public var codec: RecordableCodec
    public var payloadType: UInt8
    public var clockRate: UInt32
    public var channels: Int?
    public var parameters: [FormatParameter]
    /// The RTX payload type whose `apt` is `payloadType`, if RTX was negotiated.
    public var rtxPayloadType: UInt8?
    /// Supported feedback for this payload type, with `payloadType` set to it.
    public var feedback: [RTCPFeedback]

    /// The same codec without retransmission: no RTX, no generic NACK (keyframe requests stay).
    var withoutRetransmission: NegotiatedCodec {
        var codec = self
        codec.rtxPayloadType = nil
        codec.feedback.removeAll { $0.type == "nack" && $0.parameter == nil }
        return codec
    }

    public init(
        codec: RecordableCodec, payloadType: UInt8, clockRate: UInt32, channels: Int? = nil,
        parameters: [FormatParameter] = [], rtxPayloadType: UInt8? = nil, feedback: [RTCPFeedback] = []
    ) {
        self.codec = codec
        self.payloadType = payloadType
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.rtxPayloadType = rtxPayloadType
        self.feedback = feedback
    }
}

/// One RTP stream the remote signalled: a media SSRC and, from `a=ssrc-group:FID`, its RTX SSRC.
public struct RemoteStream: Sendable, Hashable {
    public var ssrc: UInt32
    public var rtxSSRC: UInt32?
    public var cname: String?
    public var msid: MediaStreamID?

    public init(ssrc: UInt32, rtxSSRC: UInt32? = nil, cname: String? = nil, msid: MediaStreamID? = nil) {
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
        self.cname = cname
        self.msid = msid
    }
}

/// The data channel transport: our SCTP port and the remote's, and the remote's message size limit.
public struct NegotiatedSCTP: Sendable, Hashable {
    public var localPort: UInt16
    public var remotePort: UInt16
    /// RFC 8841: 0 means no limit; absent means 64 KiB.
    public var remoteMaxMessageSize: UInt64
}

/// The outcome for one m-line, in m-line order.
public struct NegotiatedMedia: Sendable, Hashable {
    public var mid: String
    public var kind: MediaKind
    public var isAccepted: Bool
    /// Why the m-line was rejected, for logs; nil when accepted.
    public var rejectionReason: String?
    /// Our direction: `recvonly` when we only record, `sendrecv` when we also send a track.
    public var direction: MediaDirection
    public var codec: NegotiatedCodec?
    /// The VP8 our own tile is sent with, when the peer records in VP9 but also took VP8; nil means `codec`.
    public var sendCodec: NegotiatedCodec?
    public var headerExtensions: [ExtMap]
    public var remoteStreams: [RemoteStream]
    public var sctp: NegotiatedSCTP?

    static func rejected(mid: String, kind: MediaKind, reason: String) -> NegotiatedMedia {
        NegotiatedMedia(
            mid: mid, kind: kind, isAccepted: false, rejectionReason: reason, direction: .inactive,
            codec: nil, sendCodec: nil, headerExtensions: [], remoteStreams: [], sctp: nil)
    }

    /// The negotiated id of a header extension, for the RTP parser.
    public func headerExtensionId(_ uri: String) -> UInt8? {
        headerExtensions.first { $0.uri == uri }?.id
    }
}

/// Everything the transports need after offer/answer.
public struct NegotiatedSession: Sendable, Hashable {
    /// The answer: built by `makeAnswer`, or the remote's as given to `applyAnswer`.
    public var answer: SessionDescription
    public var media: [NegotiatedMedia]
    public var remote: RemoteTransportParameters
    /// Our DTLS role: `passive` makes us the DTLS server, `active` the client.
    public var localSetup: DTLSSetup
    public var bundleMids: [String]

    public var accepted: [NegotiatedMedia] { media.filter(\.isAccepted) }
}

public enum NegotiationError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingMid(mLineIndex: Int)
    case missingICECredentials(mid: String)
    case missingFingerprint(mid: String)
    /// We keep one 5-tuple per connection; RTCP on a separate port is never opened.
    case rtcpMuxRequired(mid: String)
    /// More than one m-line accepted but no BUNDLE group: we run a single ICE/DTLS transport.
    case bundleRequired
    case setupConflict(remote: DTLSSetup, local: DTLSSetup)
    case nothingAccepted
    case answerMismatch(String)

    public var description: String {
        switch self {
        case .missingMid(let index): "m-line \(index) has no a=mid (JSEP requires one)"
        case .missingICECredentials(let mid): "m-line \(mid) has no a=ice-ufrag/a=ice-pwd at media or session level"
        case .missingFingerprint(let mid): "m-line \(mid) has no a=fingerprint at media or session level"
        case .rtcpMuxRequired(let mid): "m-line \(mid) lacks a=rtcp-mux; EngageBot only multiplexes RTCP with RTP"
        case .bundleRequired: "several m-lines accepted but no a=group:BUNDLE; EngageBot runs one transport per connection"
        case .setupConflict(let remote, let local): "remote a=setup:\(remote.rawValue) leaves no role for local a=setup:\(local.rawValue)"
        case .nothingAccepted: "no m-line could be accepted"
        case .answerMismatch(let detail): "answer does not match our offer: \(detail)"
        }
    }
}

// MARK: - Shared reading of a remote m-line

enum MediaReading {
    /// Recordable codecs of an m-line, in its format order.
    /// The attributes are read once per m-line: one offer frame can list tens of thousands of formats and
    /// attributes, and reading every `a=rtpmap` again for each format cost their product.
    static func recordableCodecs(in media: MediaDescription) -> [(RTPMap, RecordableCodec)] {
        let maps = media.rtpMapsByPayloadType
        let parameters = media.formatParametersByPayloadType
        return media.payloadTypes.compactMap { pt in
            guard let map = maps[pt],
                  let codec = RecordableCodec(rtpMap: map, parameters: parameters[pt]),
                  codec.kind == media.kind
            else { return nil }
            return (map, codec)
        }
    }

    static func negotiatedCodec(_ map: RTPMap, _ codec: RecordableCodec, in media: MediaDescription) -> NegotiatedCodec {
        let maps = media.rtpMapsByPayloadType
        let parameters = media.formatParametersByPayloadType
        let rtx = media.payloadTypes.first { pt in
            maps[pt]?.encodingName.lowercased() == "rtx" && parameters[pt]?.associatedPayloadType == map.payloadType
        }
        let hasTransportCC = media.extMaps.contains { $0.uri == HeaderExtensionURI.transportWideCC }
        var feedback: [RTCPFeedback] = []
        for entry in media.rtcpFeedback(for: map.payloadType) where SupportedFeedback.contains(entry) {
            // transport-cc feedback means nothing without the sequence-number extension.
            if entry.type == "transport-cc" && !hasTransportCC { continue }
            let normalised = RTCPFeedback(payloadType: map.payloadType, type: entry.type, parameter: entry.parameter)
            if !feedback.contains(normalised) { feedback.append(normalised) }
        }
        return NegotiatedCodec(
            codec: codec, payloadType: map.payloadType, clockRate: map.clockRate, channels: map.channels,
            parameters: parameters[map.payloadType]?.parameters ?? [],
            rtxPayloadType: rtx, feedback: feedback)
    }

    static func supportedExtensions(in media: MediaDescription) -> [ExtMap] {
        var seen: Set<String> = []
        return media.extMaps.compactMap { ext in
            guard HeaderExtensionURI.supported.contains(ext.uri), seen.insert(ext.uri).inserted else { return nil }
            return ExtMap(id: ext.id, uri: ext.uri)
        }
    }

    static func remoteStreams(in media: MediaDescription) -> [RemoteStream] {
        let described = media.ssrcs
        var rtxFor: [UInt32: UInt32] = [:]
        for group in media.ssrcGroups where group.semantics == "FID" && group.ssrcs.count == 2 {
            rtxFor[group.ssrcs[0]] = group.ssrcs[1]
        }
        let rtxSSRCs = Set(rtxFor.values)
        // Read once: finding the media-level msid scans every attribute, and an offer may describe thousands of SSRCs.
        let mediaMSID = media.msid
        return described.filter { !rtxSSRCs.contains($0.ssrc) }.map { entry in
            RemoteStream(ssrc: entry.ssrc, rtxSSRC: rtxFor[entry.ssrc], cname: entry.cname, msid: entry.msid ?? mediaMSID)
        }
    }

    static func isDataChannel(_ media: MediaDescription) -> Bool {
        media.kind == .application && media.proto.uppercased().hasSuffix("DTLS/SCTP")
            && media.formats == ["webrtc-datachannel"]
    }

    /// RFC 8841 defaults: port 5000, 64 KiB messages.
    static func sctp(in media: MediaDescription, localPort: UInt16) -> NegotiatedSCTP {
        NegotiatedSCTP(
            localPort: localPort, remotePort: media.sctpPort ?? 5000, remoteMaxMessageSize: media.maxMessageSize ?? 65536)
    }
}
