/// What a `PeerConnection` produces for its owner.
public enum PeerOutput {
    /// Send these bytes from the connection's socket to `to`.
    case transmit([UInt8], to: TransportAddress)
    case event(PeerEvent)
    /// Nothing more to do now; call `handleTimeout` at the deadline (nil: only input wakes it).
    case timeout(Deadline?)
}

public enum PeerEvent: Sendable {
    case iceStateChanged(String)
    /// DTLS is up, the peer's certificate matched the SDP fingerprint, and SRTP is keyed; `receiving`
    /// names the kinds of media the negotiation lets the peer send us.
    case connected(String, receiving: Set<MediaTrack.Kind>)
    /// The first packet of a new incoming stream.
    case trackStarted(MediaTrack)
    /// A decrypted media packet.
    case rtp(RTPPacket, MediaTrack, Timestamp)
    /// An RTCP sender report on an incoming stream: its RTP timestamp `rtpTimestamp` was captured at
    /// `ntpTime` on the sender's clock, which all of the sender's streams share (lip sync).
    case senderReport(ssrc: UInt32, ntpTime: NTPTime, rtpTimestamp: UInt32)
    /// The peer asked for a keyframe of the video we send (PLI or FIR).
    case keyframeRequested
    /// The peer's RTCP report on a stream we send: it receives our media.
    case remoteReport(MediaTrack.Kind, fractionLost: UInt8, roundTrip: Duration?)
    /// The round trip to the peer (from reports and repairs), at most once a second: how long waiting
    /// for a retransmission takes, for the recorder's jitter buffer.
    case roundTripMeasured(RoundTrip)
    /// The room's data channel (`channel`) is open both ways: chat can flow.
    case dataChannelOpened(String)
    /// A text message on the room's data channel, exactly as received.
    case chatMessage(String)
    /// Something from the network was dropped; said once per kind of problem, then counted.
    case dropped(String)
    /// The peer left: RTCP BYE, DTLS close_notify, or lost ICE connectivity.
    case closed(String)
    /// The connection could not be established or broke; nothing more will come.
    case failed(String)
}

public struct PeerConnectionConfiguration: Sendable {
    public var certificate: DTLSCertificate
    /// The address of the UDP socket this connection owns: its only host candidate.
    public var localAddress: TransportAddress
    public var cname: String
    /// The REMB we advertise: high, so that only the sender's own congestion control limits what it sends us.
    public var advertisedBitrate: UInt64
    /// How long without any authenticated STUN answer before the peer counts as gone; longer than the
    /// 4–6 s between consent checks (RFC 7675), so one lost check is not a departure.
    public var disconnectedAfter: Duration
    /// Whether we send our own audio and video (the bot's tile): the SDP then says sendrecv with our SSRCs.
    public var sendsMedia: Bool
    /// Unix time at `Timestamp.zero`, in nanoseconds: the wall clock our sender reports carry, passed in.
    public var unixNanosecondsAtZero: Int64
    /// Tests on virtual time: SSRCs and first sequence numbers from this seed, so RTCP timing repeats.
    /// Nil (always, outside tests): from the system's random source.
    public var identifierSeed: UInt64?
    /// Negotiate generic NACK and RTX (`CodecPolicy.lossRepair`); off only to measure what repair is worth.
    public var lossRepair = true

    public init(certificate: DTLSCertificate, localAddress: TransportAddress, cname: String,
                advertisedBitrate: UInt64 = 10_000_000, disconnectedAfter: Duration = .seconds(10),
                sendsMedia: Bool = false, unixNanosecondsAtZero: Int64 = 0) {
        self.sendsMedia = sendsMedia
        self.unixNanosecondsAtZero = unixNanosecondsAtZero
        self.certificate = certificate
        self.localAddress = localAddress
        self.cname = cname
        self.advertisedBitrate = advertisedBitrate
        self.disconnectedAfter = disconnectedAfter
    }
}

/// Counters of one connection, for logs and the manifest.
public struct PeerConnectionStatistics: Sendable {
    public var rtpPackets = 0
    public var rtcpPackets = 0
    public var srtpFailures = 0
    public var malformedPackets = 0
    public var unknownPayloadTypes = 0
    /// RTP on an SSRC that `SSRCAdmission` or `InboundSRTPSources` refused, or RTX that repairs no stream of ours.
    public var unadmittedSourcePackets = 0
    public var retransmissions = 0
    /// Sequence numbers the peer's NACKs asked for beyond `RetransmissionBudget`: not looked up.
    public var nackedSequenceNumbersRefused = 0
    public var receiverReportsSent = 0
    public var keyframeRequestsSent = 0
    public var fullIntraRequestsSent = 0
    /// NACKs and retransmissions, both ways.
    public var repair = LossRepairStatistics()
    public var firstMediaAt: Timestamp?
    public var connectedAt: Timestamp?

    public init() {}
}

/// A WebRTC peer connection to one remote peer, sans-IO.
///
/// Contract: one owner drives it. Hand every datagram of its socket to `handleDatagram(_:from:at:arrival:)`
/// and call `handleTimeout(at:)` once the last deadline has passed; after each call, drain
/// `pollOutput()` until it returns `.timeout`, sending each `.transmit` and acting on each `.event`.
/// Time is always passed in; nothing here reads a clock or touches a socket.
///
/// The room's pages chat over a data channel labelled `channel` that the offerer opens; we open it
/// as offerer and accept it as answerer (SCTP over DTLS, DCEP).
///
/// Inside, one 5-tuple carries everything (BUNDLE + rtcp-mux), split by the RFC 7983 first byte:
/// STUN to the ICE agent, DTLS records to the DTLS endpoint (we are the DTLS server where the
/// peer lets us, so we choose AES-GCM SRTP), RTP and RTCP to SRTP. Incoming RTP is attributed to
/// a negotiated track by payload type; RTCP receiver reports, transport-wide congestion feedback
/// and REMB go back, so browsers send the recorder the quality they send everyone else.
public final class PeerConnection {
    public enum Role: Sendable { case answerer, offerer }

    public let role: Role
    /// Our complete SDP (all candidates included: no trickle).
    public let localDescription: String
    public private(set) var statistics = PeerConnectionStatistics()
    /// Our ICE ufrag: what a socket shared with other connections routes this one's checks by.
    public var localICEUfrag: String { ice.localCredentials.ufrag }
    public private(set) var negotiatedSummary = ""

    private let configuration: PeerConnectionConfiguration
    private let localSSRC: UInt32
    private var ice: ICEAgent
    private var dtls: DTLSEndpoint?
    private var dataChannels: DataChannels?
    /// The stream of the data channel labelled `channel`, once open.
    private var chatChannel: UInt16?
    private var routing = MediaRouting()
    private var admission = SSRCAdmission()
    private var inboundSources = InboundSRTPSources()
    /// Readable inside the module so tests can see which sources it keeps state for.
    private(set) var srtpInbound: SRTPSession?
    /// Readable inside the module so tests can act as a peer that protects its own packets.
    private(set) var srtpOutbound: SRTPSession?
    private var outgoingAudio: OutgoingTrack?
    private var outgoingVideo: OutgoingTrack?
    /// For `sendFrame`; a source sending to many connections packetizes once for all of them instead.
    private var ownPacketizer = FramePacketizer()
    private var lossRepair = LossRepair()
    private var retransmissionBudget = RetransmissionBudget()
    /// FIR sequence numbers, per media SSRC (RFC 5104: a new request takes the next one).
    private var fullIntraSequence: [UInt32: UInt8] = [:]
    private var receiverStatistics: [ReceiverStatistics] = []
    private var statisticsIndex: [UInt32: Int] = [:]
    private var knownTracks: [UInt32: MediaTrack] = [:]
    private var byeSources: Set<UInt32> = []
    private var transportFeedback: TransportWideFeedbackBuilder?
    private var reportScheduler: RTCPReportScheduler?
    private var pendingOffer: SessionDescription?
    private var dtlsPeer: TransportAddress?
    private var outputs: [PeerOutput] = []
    private var outputIndex = 0
    /// Drops per kind (the reason up to its first colon), at most `maximumDropKinds` kinds.
    private var dropCounts: [String: Int] = [:]
    private var sctpDropsSeen = 0
    private var dataChannelDropsSeen = 0
    private var isClosed = false

    /// Answers a remote offer. The answer is complete at once: our one host candidate is known.
    public init(answering offerText: String, configuration: PeerConnectionConfiguration, at now: Timestamp) throws {
        let offer = try SessionDescription(parsing: offerText)
        var iceConfiguration = ICEAgent.Configuration()
        iceConfiguration.disconnectedAfter = configuration.disconnectedAfter
        var ice = ICEAgent(role: .controlled, localAddresses: [configuration.localAddress],
                           configuration: iceConfiguration)
        let (local, audio, video) = PeerConnection.localParameters(configuration, ice: ice)
        let negotiated = try makeAnswer(to: offer, local: local, policy: CodecPolicy(lossRepair: configuration.lossRepair))
        let remote = negotiated.remote
        guard let fingerprint = DTLSFingerprint(sdpValue: remote.fingerprint) else {
            throw ParseError("the offer's fingerprint '\(remote.fingerprint.logSafe)' is not one we can check")
        }
        ice.setRemote(ufrag: remote.iceUfrag, pwd: remote.icePwd,
                      candidates: remote.candidates.compactMap { try? ICECandidate(parsing: $0) })
        self.role = .answerer
        self.configuration = configuration
        self.ice = ice
        var identifiers = RTPIdentifiers(seed: configuration.identifierSeed)
        self.localSSRC = identifiers.next()
        self.localDescription = negotiated.answer.serialized()
        self.routing = MediaRouting(negotiated)
        self.admission = SSRCAdmission(negotiated)
        self.negotiatedSummary = PeerConnection.summary(negotiated)
        self.outgoingAudio = audio
        self.outgoingVideo = video
        bindOutgoing(negotiated)
        self.dtls = try DTLSEndpoint(role: negotiated.localSetup == .active ? .client : .server,
                                     certificate: configuration.certificate, remoteFingerprint: fingerprint)
        self.reportScheduler = RTCPReportScheduler(start: now, seed: UInt64(localSSRC))
    }

    /// Offers to a newcomer, as the room's page does; `applyAnswer` completes the connection.
    public init(offeringWith configuration: PeerConnectionConfiguration, at now: Timestamp) {
        var iceConfiguration = ICEAgent.Configuration()
        iceConfiguration.disconnectedAfter = configuration.disconnectedAfter
        let ice = ICEAgent(role: .controlling, localAddresses: [configuration.localAddress],
                           configuration: iceConfiguration)
        let (local, audio, video) = PeerConnection.localParameters(configuration, ice: ice)
        let offer = makeOffer(local: local, options: OfferOptions(lossRepair: configuration.lossRepair))
        self.outgoingAudio = audio
        self.outgoingVideo = video
        self.role = .offerer
        self.configuration = configuration
        self.ice = ice
        var identifiers = RTPIdentifiers(seed: configuration.identifierSeed)
        self.localSSRC = identifiers.next()
        self.localDescription = offer.serialized()
        self.pendingOffer = offer
        self.reportScheduler = RTCPReportScheduler(start: now, seed: UInt64(localSSRC))
    }

    /// Applies the remote answer to our offer.
    public func applyAnswer(_ answerText: String, at now: Timestamp) throws {
        guard let offer = pendingOffer else { throw ParseError("no offer of ours is waiting for an answer") }
        let answer = try SessionDescription(parsing: answerText)
        let negotiated = try Mesh.applyAnswer(answer, to: offer)
        let remote = negotiated.remote
        guard let fingerprint = DTLSFingerprint(sdpValue: remote.fingerprint) else {
            throw ParseError("the answer's fingerprint '\(remote.fingerprint.logSafe)' is not one we can check")
        }
        pendingOffer = nil
        routing = MediaRouting(negotiated)
        admission = SSRCAdmission(negotiated)
        negotiatedSummary = PeerConnection.summary(negotiated)
        bindOutgoing(negotiated)
        // We offered actpass: a browser answers active, which makes us the DTLS server.
        dtls = try DTLSEndpoint(role: remote.setup == .active ? .server : .client,
                                certificate: configuration.certificate, remoteFingerprint: fingerprint)
        ice.setRemote(ufrag: remote.iceUfrag, pwd: remote.icePwd,
                      candidates: remote.candidates.compactMap { try? ICECandidate(parsing: $0) })
        ice.handleTimeout(at: now)
        collect(at: now)
    }

    // MARK: - Input

    /// One datagram from the socket. `arrival` is when the kernel received it (nil: `now`): a busy process reads
    /// packets late and in bursts, and congestion feedback stamped at read time would report our own
    /// scheduling as network delay, making senders back off (docs/architecture.md, "Arrival times").
    /// Timers and state still run on `now`, which never goes backwards.
    public func handleDatagram(_ bytes: consuming [UInt8], from source: TransportAddress, at now: Timestamp,
                               arrival: Timestamp? = nil) {
        guard !isClosed else { return }
        let arrival = min(arrival ?? now, now)
        // An initializer takes its argument owned: `copy` keeps `bytes` for the branch that consumes it.
        switch DatagramKind(classifying: copy bytes) {
        case .stun:
            ice.handleDatagram(bytes, from: source, to: configuration.localAddress, at: now)
        case .dtls:
            guard let dtls else { return }
            // Once ICE has validated a path, DTLS from anywhere else is spoofed or stray.
            if let selected = ice.selectedRemote, selected != source {
                drop("DTLS record from \(source), not the address ICE validated")
                return
            }
            dtlsPeer = source
            dtls.handleDatagram(bytes[...], at: now)
        case .rtp:
            // Media touches neither ICE, DTLS nor SCTP, so there is nothing of theirs to collect: skipping
            // it saves their polls on every packet (about 4 % of the recorder's CPU at N = 20).
            receiveRTP(consume bytes, at: now, arrival: arrival)
            return
        case .rtcp:
            receiveRTCP(bytes, at: now, arrival: arrival)
        case .unknown:
            drop("datagram of unknown kind: first byte \(bytes.first.map { String($0) } ?? "none")")
        }
        collect(at: now)
    }

    public func handleTimeout(at now: Timestamp) {
        guard !isClosed else { return }
        ice.handleTimeout(at: now)
        if let deadline = dtls?.nextDeadline, deadline.at <= now { dtls?.handleTimeout(at: now) }
        if let deadline = dataChannels?.nextDeadline, deadline.at <= now { dataChannels?.handleTimeout(at: now) }
        if srtpOutbound != nil {
            if reportScheduler?.isDue(at: now) == true {
                sendReceiverReport(at: now)
                reportScheduler?.reportSent(at: now)
            }
            if let feedback = transportFeedback?.feedback(at: now), !feedback.isEmpty {
                sendRTCP(feedback.map { .transportWideCongestionControl($0) })
            }
            let nacks = lossRepair.dueRequests(senderSSRC: localSSRC, at: now)
            if !nacks.isEmpty {
                sendRTCP([.receiverReport(ReceiverReport(ssrc: localSSRC))] + nacks)
                statistics.repair = lossRepair.statistics
            }
        }
        collect(at: now)
    }

    /// The round trip to the peer, nil before anything measured it.
    public var roundTrip: RoundTrip? { lossRepair.roundTrip.measured }

    /// Asks the sender of `ssrc` for a keyframe (PLI), e.g. after loss or at the start of a recording.
    public func requestKeyframe(ssrc: UInt32, at now: Timestamp) {
        guard !isClosed, srtpOutbound != nil else { return }
        statistics.keyframeRequestsSent += 1
        sendRTCP([.receiverReport(ReceiverReport(ssrc: localSSRC)),
                  .pictureLossIndication(PictureLossIndication(senderSSRC: localSSRC, mediaSSRC: ssrc))])
        collect(at: now)
    }

    /// Demands a keyframe of `ssrc` (FIR, RFC 5104), for when a PLI went unanswered. The PLI goes again in the
    /// same compound: senders that honour only PLI (aiortc, for one) ignore a FIR, and would otherwise never
    /// be asked again.
    public func requestFullIntra(ssrc: UInt32, at now: Timestamp) {
        guard !isClosed, srtpOutbound != nil else { return }
        statistics.fullIntraRequestsSent += 1
        statistics.keyframeRequestsSent += 1
        let sequence = fullIntraSequence[ssrc].map { $0 &+ 1 } ?? 0
        if fullIntraSequence[ssrc] != nil || fullIntraSequence.count < 64 { fullIntraSequence[ssrc] = sequence }
        sendRTCP([.receiverReport(ReceiverReport(ssrc: localSSRC)),
                  .pictureLossIndication(PictureLossIndication(senderSSRC: localSSRC, mediaSSRC: ssrc)),
                  .fullIntraRequest(FullIntraRequest(senderSSRC: localSSRC,
                                                     entries: [.init(ssrc: ssrc, sequenceNumber: sequence)]))])
        collect(at: now)
    }

    /// Sends one text message on the room's data channel; false when it is not open (yet, or any more).
    @discardableResult
    public func sendChat(_ text: String, at now: Timestamp) -> Bool {
        guard !isClosed, let chatChannel, dataChannels != nil else { return false }
        do {
            try dataChannels?.send(.text(text), on: chatChannel)
        } catch {
            drop("chat message not sent: \(error)")
            collect(at: now)
            return false
        }
        collect(at: now)
        return true
    }

    public var isChatOpen: Bool { chatChannel != nil && !isClosed }

    /// Whether the join is still under way: not yet keyed for media, or its negotiated data channel not yet
    /// open. Every step of a join is a round trip the participant waits for, so its timers want no rounding
    /// (docs/architecture.md, "One socket per event loop").
    public var isJoining: Bool {
        !isClosed && (srtpInbound == nil || (routing.dataChannel != nil && chatChannel == nil))
    }

    /// Chat bytes sent but not yet acknowledged by the peer's SCTP: zero means everything arrived.
    public var unacknowledgedChatBytes: Int { dataChannels?.association.bufferedAmount ?? 0 }

    /// Says goodbye as browsers do when a page closes: RTCP BYE, then DTLS close_notify.
    public func close(at now: Timestamp) {
        guard !isClosed else { return }
        if srtpOutbound != nil {
            sendRTCP([.receiverReport(ReceiverReport(ssrc: localSSRC)),
                      .goodbye(Goodbye(sources: [localSSRC]))])
        }
        dtls?.close()
        collect(at: now)
        ice.close()
        isClosed = true
    }

    public func pollOutput() -> PeerOutput {
        if outputIndex < outputs.count {
            // Moved out, not copied: a copy of an RTP event retains the packet's buffers once more, and the
            // queue's own copy is released only when the queue empties.
            var output = PeerOutput.timeout(nil)
            swap(&output, &outputs[outputIndex])
            outputIndex += 1
            return output
        }
        outputs.removeAll(keepingCapacity: true)
        outputIndex = 0
        return .timeout(isClosed ? nil : nextDeadline)
    }

    /// Asked after every datagram. The parts are structs held by this class: reading a computed property
    /// of one copies it whole (every reference in it retained and released), so each is read in place.
    public var nextDeadline: Deadline? {
        var earliest = Self.inPlace(&ice) { $0.nextDeadline }
        earliest = Deadline.earlier(earliest, dtls?.nextDeadline)
        earliest = Deadline.earlier(earliest, Self.inPlace(&dataChannels) { $0?.nextDeadline })
        if srtpOutbound != nil {
            earliest = Deadline.earlier(earliest, Self.inPlace(&reportScheduler) { $0?.nextDeadline })
            earliest = Deadline.earlier(earliest, Self.inPlace(&transportFeedback) { $0?.nextDeadline })
            earliest = Deadline.earlier(earliest, Self.inPlace(&lossRepair) { $0.nextDeadline })
        }
        return earliest
    }

    @inline(__always)
    private static func inPlace<Value, Result>(_ value: inout Value, _ read: (inout Value) -> Result) -> Result {
        read(&value)
    }

    // MARK: - Inside

    private var destination: TransportAddress? { ice.selectedRemote ?? dtlsPeer }

    /// Moves what ICE and DTLS produced into the output queue and reacts to their events.
    private func collect(at now: Timestamp) {
        while let datagram = ice.pollTransmit() {
            outputs.append(.transmit(datagram.bytes, to: datagram.destination))
        }
        while let event = ice.pollEvent() {
            switch event {
            case .stateChanged(let state):
                outputs.append(.event(.iceStateChanged(state.rawValue)))
                switch state {
                case .connected:
                    if let dtls, dtls.role == .client, !dtls.isConnected { dtls.start(at: now) }
                case .disconnected, .failed:
                    finish(.closed("ICE \(state.rawValue): the peer stopped answering connectivity checks"))
                default:
                    break
                }
            case .selectedPairChanged:
                break
            }
        }
        guard let dtls else { return }
        while let datagram = dtls.pollTransmit() {
            if let destination { outputs.append(.transmit(datagram, to: destination)) }
        }
        while let event = dtls.pollEvent() {
            switch event {
            case .connected(let keys):
                do {
                    srtpInbound = try SRTPSession(profile: keys.profile, masterKey: keys.remote.key,
                                                  masterSalt: keys.remote.salt, direction: .inbound)
                    srtpOutbound = try SRTPSession(profile: keys.profile, masterKey: keys.local.key,
                                                   masterSalt: keys.local.salt, direction: .outbound)
                    statistics.connectedAt = now
                    let negotiation = dtls.negotiation.map { "\($0)" } ?? "\(keys.profile)"
                    outputs.append(.event(.connected("\(negotiation); \(negotiatedSummary)",
                                                      receiving: routing.receivingKinds)))
                    startDataChannels(dtlsRole: dtls.role, at: now)
                } catch {
                    finish(.failed("SRTP could not be keyed: \(error)"))
                }
            case .applicationData(let packet):
                dataChannels?.handlePacket(packet, at: now)
            case .closed:
                finish(.closed("DTLS close_notify from the peer"))
            case .failed(let reason):
                finish(.failed(reason))
            }
        }
        collectDataChannels(at: now)
    }

    /// SCTP rides on DTLS: the DTLS client starts the association (sends INIT), the server waits for it.
    private func startDataChannels(dtlsRole: DTLSRole, at now: Timestamp) {
        guard let sctp = routing.dataChannel, dataChannels == nil, let dtls else { return }
        var configuration = SCTPAssociation.Configuration()
        // Every SCTP packet must fit one DTLS record in one datagram: a larger one could never be sent,
        // and as DATA it would be retransmitted at the same size until the association gave up.
        configuration.maxPacketSize = min(configuration.maxPacketSize, dtls.maximumApplicationDataLength)
        configuration.localPort = sctp.localPort
        configuration.remotePort = sctp.remotePort
        configuration.maxMessageSize = sctp.remoteMaxMessageSize == 0 ? Int.max : Int(clamping: sctp.remoteMaxMessageSize)
        var channels = DataChannels(association: SCTPAssociation(role: dtlsRole == .client ? .client : .server,
                                                                 configuration: configuration), dtlsRole: dtlsRole)
        channels.start(at: now)
        dataChannels = channels
    }

    /// Moves SCTP's packets into DTLS records and its events into ours.
    private func collectDataChannels(at now: Timestamp) {
        guard dataChannels != nil, let dtls else { return }
        while let event = dataChannels?.pollEvent() {
            switch event {
            case .connected:
                // As offerer we open the room's channel, exactly as the page's createDataChannel("channel").
                if role == .offerer {
                    do {
                        _ = try dataChannels?.open(label: PeerConnection.chatLabel)
                    } catch {
                        drop("could not open the data channel: \(error)")
                    }
                }
            case .channelOpened(let id, let label):
                if label == PeerConnection.chatLabel && chatChannel == nil {
                    chatChannel = id
                    outputs.append(.event(.dataChannelOpened(label)))
                }
            case .channelMessage(let id, let message):
                switch message {
                case .text(let text) where id == chatChannel:
                    outputs.append(.event(.chatMessage(text)))
                case .text:
                    drop("text on a data channel other than '\(PeerConnection.chatLabel)' ignored")
                case .binary:
                    drop("binary data channel message ignored: the room's chat is text")
                }
            case .channelClosed(let id):
                if id == chatChannel { chatChannel = nil }
            case .closed(let reason):
                chatChannel = nil
                drop("data channels closed: \(reason)")
            }
        }
        countDataChannelDrops()
        while let packet = dataChannels?.pollTransmit() {
            do {
                try dtls.send(packet)
            } catch {
                drop("SCTP packet not sent over DTLS: \(error)")
            }
        }
        while let datagram = dtls.pollTransmit() {
            if let destination { outputs.append(.transmit(datagram, to: destination)) }
        }
    }

    static let chatLabel = "channel"

    private func finish(_ event: PeerEvent) {
        guard !isClosed else { return }
        outputs.append(.event(event))
        ice.close()
        isClosed = true
    }

    /// `bytes` is decrypted in place: a caller that hands over its only reference (`consume`), as the socket
    /// does, saves a copy of every packet.
    private func receiveRTP(_ bytes: consuming [UInt8], at now: Timestamp, arrival: Timestamp) {
        guard let srtpInbound else { return }
        // The SSRC is in the clear: a source the connection has no room for costs no decryption and no libsrtp state.
        let source = Self.word(at: 8, of: bytes)
        if let source, !inboundSources.admitsRTP(from: source) {
            statistics.unadmittedSourcePackets += 1
            drop("RTP on a source beyond the \(InboundSRTPSources.maximumRTPSources) SRTP sources a connection keeps: ssrc \(source)")
            return
        }
        var plain = consume bytes
        do {
            try srtpInbound.unprotectRTP(&plain)
        } catch {
            statistics.srtpFailures += 1
            drop("SRTP packet failed to unprotect: \(error)")
            return
        }
        let wentOn = deliverRTP(plain, at: now, arrival: arrival)
        if let source, !inboundSources.rtpAuthenticated(from: source, isWanted: wentOn || admission.isAnnounced(source)) {
            srtpInbound.forgetSource(source)
        }
    }

    /// The big-endian 32-bit word at `offset`, read before anything is parsed; nil when the packet is shorter.
    private static func word(at offset: Int, of bytes: [UInt8]) -> UInt32? {
        var reader = ByteReader(bytes)
        guard (try? reader.skip(offset)) != nil else { return nil }
        return try? reader.readUInt32()
    }

    /// Parses and routes one unprotected RTP packet; whether it went on as media.
    private func deliverRTP(_ plain: [UInt8], at now: Timestamp, arrival: Timestamp) -> Bool {
        var packet: RTPPacket
        do {
            packet = try RTPPacket(parsing: plain)
        } catch {
            statistics.malformedPackets += 1
            drop("malformed RTP packet: \(error)")
            return false
        }
        statistics.rtpPackets += 1
        if let id = routing.transportWideSequenceID, let data = packet.extensionData(id: id), data.count >= 2 {
            let sequence = UInt16(data[data.startIndex]) << 8 | UInt16(data[data.startIndex + 1])
            if transportFeedback == nil {
                transportFeedback = TransportWideFeedbackBuilder(senderSSRC: localSSRC, mediaSSRC: packet.ssrc)
            }
            transportFeedback?.record(transportSequenceNumber: sequence, arrival: arrival)
        }
        var isRetransmission = false
        if routing.retransmissionPayloadTypes[packet.payloadType] != nil {
            statistics.retransmissions += 1
            // RTX (RFC 4588): the original inside goes on as media; padding-only probes only fed congestion control.
            guard let original = routing.unwrapRetransmission(packet, knownTracks: knownTracks) else {
                if packet.payload.count >= 2 {
                    statistics.unadmittedSourcePackets += 1
                    drop("RTX that repairs no stream of ours: ssrc \(packet.ssrc), payload type \(packet.payloadType)")
                }
                return false
            }
            packet = original
            isRetransmission = true
        }
        // In place: a method called on the stored struct would copy it (a retain of each of its tables) per packet.
        guard let track = Self.inPlace(&routing, { $0.track(for: packet) }) else {
            statistics.unknownPayloadTypes += 1
            drop("RTP with a payload type that was not negotiated: \(packet.payloadType)")
            return false
        }
        if case .refused(let report) = admission.admit(packet.ssrc, on: track) {
            statistics.unadmittedSourcePackets += 1
            if let report { outputs.append(.event(.dropped(report))) }
            return false
        }
        let index: Int
        if let known = statisticsIndex[packet.ssrc] {
            index = known
        } else {
            index = receiverStatistics.count
            statisticsIndex[packet.ssrc] = index
            receiverStatistics.append(ReceiverStatistics(ssrc: packet.ssrc))
            knownTracks[packet.ssrc] = track
            if statistics.firstMediaAt == nil { statistics.firstMediaAt = now }
            outputs.append(.event(.trackStarted(track)))
        }
        receiverStatistics[index].record(sequenceNumber: packet.sequenceNumber, rtpTimestamp: packet.timestamp,
                                         arrival: arrival, clockRate: track.clockRate)
        if routing.nackPayloadTypes.contains(packet.payloadType) {
            if let roundTrip = lossRepair.received(packet, isRetransmission: isRetransmission, at: now) {
                outputs.append(.event(.roundTripMeasured(roundTrip)))
            }
            statistics.repair = lossRepair.statistics
        }
        // Moved, not copied: a copy retains the payload's buffer, the extension list and the CSRCs, per packet.
        outputs.append(.event(.rtp(consume packet, track, now)))
        return true
    }

    private func receiveRTCP(_ bytes: [UInt8], at now: Timestamp, arrival: Timestamp) {
        guard let srtpInbound else { return }
        var plain = bytes
        do {
            try srtpInbound.unprotectRTCP(&plain)
        } catch {
            statistics.srtpFailures += 1
            drop("SRTCP packet failed to unprotect: \(error)")
            return
        }
        // Unprotecting made the sender's SSRC a libsrtp stream.
        if let sender = Self.word(at: 4, of: bytes), !inboundSources.rtcpAuthenticated(from: sender) {
            srtpInbound.forgetSource(sender)
        }
        let packets: [RTCPPacket]
        do {
            packets = try RTCPCompound.parse(plain)
        } catch {
            statistics.malformedPackets += 1
            drop("malformed RTCP: \(error)")
            return
        }
        statistics.rtcpPackets += 1
        for packet in packets {
            switch packet {
            case .senderReport(let report):
                if let index = statisticsIndex[report.ssrc] {
                    receiverStatistics[index].recordSenderReport(ntpTime: report.ntpTime, arrival: arrival)
                    // Only for streams already admitted: a report cannot create state for an unknown SSRC.
                    outputs.append(.event(.senderReport(ssrc: report.ssrc, ntpTime: report.ntpTime,
                                                        rtpTimestamp: report.rtpTimestamp)))
                }
                reportsOnOurStreams(report.reportBlocks, at: now, arrival: arrival)
            case .receiverReport(let report):
                reportsOnOurStreams(report.reportBlocks, at: now, arrival: arrival)
            case .pictureLossIndication(let request) where request.mediaSSRC == outgoingVideo?.ssrc:
                outputs.append(.event(.keyframeRequested))
            case .fullIntraRequest(let request) where request.entries.contains(where: { $0.ssrc == outgoingVideo?.ssrc }):
                outputs.append(.event(.keyframeRequested))
            case .transportLayerNack(let nack):
                resend(nack, at: now)
            case .goodbye(let goodbye):
                // Only sources we track count, so a peer cannot grow this set with invented SSRCs.
                byeSources.formUnion(goodbye.sources.filter { knownTracks[$0] != nil })
                // A page that closes says BYE for all its streams; one track ending alone is not a departure.
                if !knownTracks.isEmpty && Set(knownTracks.keys).isSubset(of: byeSources) {
                    finish(.closed("RTCP BYE from the peer"))
                }
            default:
                break
            }
        }
    }

    private func reportsOnOurStreams(_ blocks: [ReportBlock], at now: Timestamp, arrival: Timestamp) {
        let arrival = NTPTime(unixNanoseconds: configuration.unixNanosecondsAtZero &+ arrival.nanoseconds)
        for block in blocks {
            for track in [outgoingAudio, outgoingVideo].compactMap({ $0 }) where track.ssrc == block.ssrc {
                let roundTrip = block.roundTripTime(arrivalNTP: arrival)
                outputs.append(.event(.remoteReport(track.kind, fractionLost: block.fractionLost, roundTrip: roundTrip)))
                if let roundTrip, let announced = lossRepair.measured(roundTrip, at: now) {
                    outputs.append(.event(.roundTripMeasured(announced)))
                }
            }
        }
    }

    /// Answers a NACK on a stream we send from its send history.
    private func resend(_ nack: TransportLayerNack, at now: Timestamp) {
        guard let srtpOutbound, let destination else { return }
        let asked = nack.pairs.reduce(0) { $0 &+ 1 &+ $1.lostBitmask.nonzeroBitCount }
        guard retransmissionBudget.take(asked, at: now) else {
            statistics.nackedSequenceNumbersRefused &+= asked
            drop("NACK beyond our retransmission budget of \(RetransmissionBudget.perSecond) packets a second ignored")
            return
        }
        let lost = nack.lostSequenceNumbers
        lossRepair.counters.packetsAskedOfUs += lost.count
        var packets: [[UInt8]] = []
        if nack.mediaSSRC == outgoingVideo?.ssrc {
            packets = outgoingVideo?.retransmissions(of: lost, at: now) ?? []
        } else if nack.mediaSSRC == outgoingAudio?.ssrc {
            packets = outgoingAudio?.retransmissions(of: lost, at: now) ?? []
        }
        lossRepair.counters.retransmissionsSent += packets.count
        statistics.repair = lossRepair.statistics
        for var packet in packets {
            do {
                try srtpOutbound.protectRTP(&packet)
                outputs.append(.transmit(packet, to: destination))
            } catch {
                drop("could not protect a retransmission: \(error)")
            }
        }
    }

    private func sendReceiverReport(at now: Timestamp) {
        var packets = RTCPCompound.receiverReport(ssrc: localSSRC, cname: configuration.cname,
                                                  statistics: &receiverStatistics, at: now)
        // Each stream we send gets a sender report, so receivers can map its RTP clock to wall time.
        let ntp = NTPTime(unixNanoseconds: configuration.unixNanosecondsAtZero &+ now.nanoseconds)
        for track in [outgoingAudio, outgoingVideo].compactMap({ $0 }) {
            if let report = track.statistics.makeSenderReport(ntpTime: ntp, at: now) {
                packets.append(.senderReport(report))
                packets.append(.sourceDescription(SourceDescription(source: track.ssrc, cname: configuration.cname)))
            }
        }
        let videoSources = knownTracks.values.filter { $0.kind == .video }.map(\.ssrc).sorted()
        if !videoSources.isEmpty {
            packets.append(.receiverEstimatedMaximumBitrate(ReceiverEstimatedMaximumBitrate(
                senderSSRC: localSSRC, bitrate: configuration.advertisedBitrate,
                ssrcs: Array(videoSources.prefix(SSRCAdmission.maximumSources)))))
        }
        statistics.receiverReportsSent += 1
        sendRTCP(packets, opening: .receiverReport(ReceiverReport(ssrc: localSSRC)))
    }

    private func sendRTCP(_ packets: [RTCPPacket], opening: RTCPPacket? = nil) {
        guard let srtpOutbound, let destination else { return }
        let packing = RTCPCompound.pack(packets, opening: opening)
        if packing.leftOut > 0 { drop("RTCP packet of ours larger than a datagram left out: \(packing.leftOut)") }
        for var bytes in packing.datagrams {
            do {
                try srtpOutbound.protectRTCP(&bytes)
                outputs.append(.transmit(bytes, to: destination))
            } catch {
                drop("could not protect our own RTCP: \(error)")
            }
        }
    }

    /// Counts `count` drops of one kind. The first of a kind is said in full; after that one line per order of
    /// magnitude (10th, 100th, …) says how many, so a flood costs a handful of log lines and still shows its size.
    private func drop(_ reason: String, count: Int = 1) {
        let named = String(reason.prefix(while: { $0 != ":" }))
        let kind = dropCounts[named] != nil || dropCounts.count < PeerConnection.maximumDropKinds ? named : "other drops"
        let before = dropCounts[kind, default: 0]
        let after = before &+ count
        dropCounts[kind] = after
        if before == 0 {
            outputs.append(.event(.dropped(reason)))
            return
        }
        var power = 1
        while power <= before {
            let (next, overflow) = power.multipliedReportingOverflow(by: 10)
            if overflow { return }
            power = next
        }
        guard power <= after else { return }
        let detail = reason.dropFirst(named.count)
        outputs.append(.event(.dropped("\(kind) (\(after) dropped so far)\(kind == named ? String(detail) : ": \(reason)")")))
    }

    /// Kinds of drop counted apart; a peer that varies its reasons (payload types, addresses) shares one count beyond.
    static let maximumDropKinds = 64

    /// What the SCTP association and the data channels dropped since the last look, counted as ours.
    /// Runs after every datagram: it reads the counters in place, since binding `dataChannels` to a constant
    /// copied the whole association (a retain of each of its buffers) per packet.
    private func countDataChannelDrops() {
        if let associationDrops = dataChannels?.association.drops, associationDrops != sctpDropsSeen {
            drop("SCTP input dropped: \(dataChannels?.association.lastDropReason ?? "")",
                 count: max(1, associationDrops &- sctpDropsSeen))
            sctpDropsSeen = associationDrops
        }
        if let channelDrops = dataChannels?.drops, channelDrops != dataChannelDropsSeen {
            drop("data channel message dropped: \(dataChannels?.lastDropReason ?? "")",
                 count: max(1, channelDrops &- dataChannelDropsSeen))
            dataChannelDropsSeen = channelDrops
        }
    }

    private static func localParameters(_ configuration: PeerConnectionConfiguration, ice: ICEAgent)
        -> (LocalTransportParameters, audio: OutgoingTrack?, video: OutgoingTrack?)
    {
        var sessionID: UInt64 = 0
        for byte in Crypto.randomBytes(7) { sessionID = sessionID << 8 | UInt64(byte) }
        var audio: OutgoingTrack?
        var video: OutgoingTrack?
        if configuration.sendsMedia {
            var identifiers = RTPIdentifiers(seed: configuration.identifierSeed.map { $0 &+ 1 })
            audio = OutgoingTrack(kind: .audio, ssrc: identifiers.next(), clockRate: 48_000,
                                  firstSequenceNumber: UInt16(truncatingIfNeeded: identifiers.next()))
            video = OutgoingTrack(kind: .video, ssrc: identifiers.next(), rtxSSRC: identifiers.next(), clockRate: 90_000,
                                  firstSequenceNumber: UInt16(truncatingIfNeeded: identifiers.next()))
        }
        let parameters = LocalTransportParameters(
            iceUfrag: ice.localCredentials.ufrag, icePwd: ice.localCredentials.pwd,
            fingerprint: configuration.certificate.fingerprint.sdpValue, answerSetup: .passive,
            candidates: ice.localCandidates.map(\.sdpValue), sessionId: sessionID, cname: configuration.cname,
            streamId: configuration.cname,
            audioTrack: audio.map { LocalTrack(trackId: "\(configuration.cname)-audio", ssrc: $0.ssrc) },
            videoTrack: video.map { LocalTrack(trackId: "\(configuration.cname)-video", ssrc: $0.ssrc, rtxSSRC: $0.rtxSSRC) })
        return (parameters, audio, video)
    }

    /// Our tracks go out with the payload types the negotiation chose; the tile is VP8 and Opus only.
    private func bindOutgoing(_ session: NegotiatedSession) {
        for media in session.accepted where media.direction.sends {
            guard let codec = media.sendCodec ?? media.codec else { continue }
            if media.kind == .audio, codec.codec == .opus { outgoingAudio?.payloadType = codec.payloadType }
            if media.kind == .video, codec.codec == .vp8 {
                outgoingVideo?.payloadType = codec.payloadType
                outgoingVideo?.rtxPayloadType = codec.rtxPayloadType
            }
        }
    }

    /// Sends one frame of our own (the tile), packetized once for every connection (`FramePacketizer`):
    /// each payload gets this connection's RTP header and SRTP, to the selected pair.
    public func send(_ frame: PacketizedFrame, at now: Timestamp) {
        guard !isClosed, let srtpOutbound, let destination else { return }
        let packets: [RTPPacket]
        switch frame.kind {
        case .audio: packets = outgoingAudio?.packets(for: frame, at: now) ?? []
        case .video: packets = outgoingVideo?.packets(for: frame, at: now) ?? []
        }
        for packet in packets {
            // Room for SRTP's tag up front: protecting in place then never moves the bytes.
            var writer = ByteWriter(capacity: packet.serializedCount + SRTPSession.rtpTrailerReserve)
            packet.serialize(into: &writer)
            var bytes = writer.take()
            do {
                try srtpOutbound.protectRTP(&bytes)
                outputs.append(.transmit(bytes, to: destination))
            } catch {
                drop("could not protect our own RTP: \(error)")
            }
        }
    }

    /// Sends one encoded frame of our own, packetized for this connection alone (a sender with one peer).
    public func sendFrame(_ frame: [UInt8], kind: MediaTrack.Kind, rtpTimestamp: UInt32, at now: Timestamp) {
        send(ownPacketizer.packetize(frame, kind: kind, rtpTimestamp: rtpTimestamp), at: now)
    }

    // MARK: Sends that skip our own formatting (fuzzing only)

    /// Protects `plaintext` with this connection's SRTP keys and sends it as RTP, whatever it holds, so a fuzz
    /// target can be an authenticated peer sending anything (Sources/FuzzTargets/ConnectedPeerTarget.swift).
    /// `package`: no command or library user can reach it. Returns false when it could not be sent.
    @discardableResult
    package func sendUnformedRTP(_ plaintext: [UInt8]) -> Bool { sendUnformed(plaintext, asRTCP: false) }

    /// As `sendUnformedRTP`, for an RTCP compound.
    @discardableResult
    package func sendUnformedRTCP(_ plaintext: [UInt8]) -> Bool { sendUnformed(plaintext, asRTCP: true) }

    private func sendUnformed(_ plaintext: [UInt8], asRTCP: Bool) -> Bool {
        guard !isClosed, let srtpOutbound, let destination else { return false }
        var packet = plaintext
        do {
            if asRTCP { try srtpOutbound.protectRTCP(&packet) } else { try srtpOutbound.protectRTP(&packet) }
        } catch {
            return false
        }
        outputs.append(.transmit(packet, to: destination))
        return true
    }

    /// Sends `packet` as one DTLS record of application data: an SCTP packet that our association did not make.
    @discardableResult
    package func sendUnformedSCTP(_ packet: [UInt8]) -> Bool {
        guard !isClosed, let dtls, dtls.isConnected, let destination else { return false }
        guard (try? dtls.send(packet)) != nil else { return false }
        while let datagram = dtls.pollTransmit() { outputs.append(.transmit(datagram, to: destination)) }
        return true
    }

    /// Whether this connection carries our tile (it is up and negotiated a codec we send).
    public var isSendingMedia: Bool {
        !isClosed && srtpOutbound != nil && (outgoingVideo?.payloadType != nil || outgoingAudio?.payloadType != nil)
    }

    private static func summary(_ session: NegotiatedSession) -> String {
        session.media.map { media in
            guard media.isAccepted else { return "\(media.mid):rejected" }
            if let codec = media.codec { return "\(media.mid):\(codec.codec.rawValue)/\(codec.payloadType)" }
            return "\(media.mid):\(media.kind)"
        }.joined(separator: " ")
    }
}
