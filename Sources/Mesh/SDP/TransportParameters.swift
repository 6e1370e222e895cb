/// A track the bot itself sends (a later feature: the bot's own tile).
public struct LocalTrack: Sendable, Hashable {
    public var trackId: String
    public var ssrc: UInt32
    /// Video only: the retransmission SSRC, signalled with `a=ssrc-group:FID`.
    public var rtxSSRC: UInt32?

    public init(trackId: String, ssrc: UInt32, rtxSSRC: UInt32? = nil) {
        self.trackId = trackId
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
    }
}

/// What our side puts into an offer or answer. Values come from the ICE, DTLS and RTP code;
/// nothing here is generated, so descriptions are deterministic in tests.
public struct LocalTransportParameters: Sendable, Hashable {
    public var iceUfrag: String
    public var icePwd: String
    /// The certificate fingerprint as SDP writes it, e.g. "sha-256 AB:CD:...".
    public var fingerprint: String
    /// Our role in answers. `passive` makes us the DTLS server, which picks the SRTP profile
    /// (see DESIGN.md: browsers as DTLS clients offer AEAD-GCM). Offers always say `actpass` (JSEP).
    public var answerSetup: DTLSSetup
    /// Candidate attribute values (the text after "candidate:"), formatted by the ICE code.
    public var candidates: [String]
    public var sessionId: UInt64
    public var sessionVersion: UInt64
    public var cname: String
    /// The MediaStream id our tracks belong to; only used when we send.
    public var streamId: String
    public var audioTrack: LocalTrack?
    public var videoTrack: LocalTrack?
    public var sctpPort: UInt16
    public var maxMessageSize: UInt64

    public init(
        iceUfrag: String, icePwd: String, fingerprint: String, answerSetup: DTLSSetup = .passive,
        candidates: [String], sessionId: UInt64, sessionVersion: UInt64 = 2, cname: String,
        streamId: String = "-", audioTrack: LocalTrack? = nil, videoTrack: LocalTrack? = nil,
        sctpPort: UInt16 = 5000, maxMessageSize: UInt64 = 262_144
    ) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.answerSetup = answerSetup
        self.candidates = candidates
        self.sessionId = sessionId
        self.sessionVersion = sessionVersion
        self.cname = cname
        self.streamId = streamId
        self.audioTrack = audioTrack
        self.videoTrack = videoTrack
        self.sctpPort = sctpPort
        self.maxMessageSize = maxMessageSize
    }

    func track(for kind: MediaKind) -> LocalTrack? {
        switch kind {
        case .audio: audioTrack
        case .video: videoTrack
        default: nil
        }
    }

    /// The address and port of the first UDP candidate, for `c=` and the m-line port as browsers
    /// write them; "0.0.0.0" and the discard port 9 when there is none (RFC 8839 §4.2.1).
    var defaultAddress: (connection: String, port: UInt16) {
        for candidate in candidates {
            let fields = Substring(candidate).sdpFields
            guard fields.count >= 6, fields[2].lowercased() == "udp", let port = sdpDecimal(fields[5], as: UInt16.self)
            else { continue }
            let family = fields[4].contains(":") ? "IP6" : "IP4"
            return ("IN \(family) \(fields[4])", port)
        }
        return ("IN IP4 0.0.0.0", 9)
    }
}

/// The remote side's transport, read from its offer or answer.
public struct RemoteTransportParameters: Sendable, Hashable {
    public var iceUfrag: String
    public var icePwd: String
    /// Preferably the sha-256 fingerprint; `fingerprints` holds every one given.
    public var fingerprint: String
    public var fingerprints: [String]
    /// Missing `a=setup` means `active` (RFC 8842 §5.2 / RFC 4145 default).
    public var setup: DTLSSetup
    /// Candidate values from every non-rejected m-line, the transport's m-line first, without duplicates.
    public var candidates: [String]
    public var endOfCandidates: Bool
    public var iceOptions: [String]
    public var bundleMids: [String]

    /// Reads the transport of the BUNDLE group's first m-line (or of the first non-rejected one).
    public init(from description: SessionDescription) throws {
        let bundle = description.bundleMids ?? []
        let live = description.media.filter { !$0.isRejected }
        guard let transport = bundle.first.flatMap({ description.media(withMid: $0) }).flatMap({ $0.isRejected ? nil : $0 })
            ?? live.first
        else {
            throw NegotiationError.nothingAccepted
        }
        let mid = transport.mid ?? "?"
        guard let ufrag = description.iceUfrag(for: transport), let pwd = description.icePwd(for: transport),
              !ufrag.isEmpty, !pwd.isEmpty
        else {
            throw NegotiationError.missingICECredentials(mid: mid)
        }
        guard let fingerprint = description.fingerprint(for: transport) else {
            throw NegotiationError.missingFingerprint(mid: mid)
        }
        // Duplicates found through a set: searching the list for each candidate costs the square of their
        // number, and an offer may be 4,096 lines of candidates.
        var candidates: [String] = []
        var seen: Set<String> = []
        for media in [transport] + live {
            for candidate in media.candidates where seen.insert(candidate).inserted {
                candidates.append(candidate)
            }
        }
        self.iceUfrag = ufrag
        self.icePwd = pwd
        self.fingerprint = fingerprint
        self.fingerprints = description.fingerprints(for: transport)
        self.setup = description.setup(for: transport) ?? .active
        self.candidates = candidates
        self.endOfCandidates = live.contains { $0.hasEndOfCandidates } || description.hasEndOfCandidates
        self.iceOptions = description.iceOptions(for: transport)
        self.bundleMids = bundle
    }
}
