/// One SCTP association carried over DTLS (RFC 8261), sans-IO, for WebRTC data channels.
///
/// The owner feeds it `handlePacket(_:at:)` with each DTLS application-data record and
/// `handleTimeout(at:)` when `nextDeadline` passes, then drains `pollTransmit()` (SCTP packets
/// to hand to DTLS) and `pollEvent()`. It never reads a clock: the time of the last input is
/// the time of anything it sends.
///
/// Both roles answer an INIT, so a client whose peer also opens (browsers do) still meets it
/// through the collision rules of RFC 4960 5.2.1.
public struct SCTPAssociation {
    public enum Role: Sendable, Equatable {
        /// Sends INIT.
        case client
        /// Waits for INIT.
        case server
    }

    public enum State: Sendable, Equatable {
        case idle, listening, cookieWait, cookieEchoed, established
        case shutdownPending, shutdownSent, shutdownReceived, shutdownAckSent, closed
    }

    public struct Configuration: Sendable {
        public var localPort: UInt16 = 5000
        public var remotePort: UInt16 = 5000
        /// The largest message we send: the peer's `a=max-message-size`.
        public var maxMessageSize = 262_144
        /// The largest message we accept; our own `a=max-message-size`.
        public var maxReceiveMessageSize = 262_144
        /// Whole SCTP packets stay at or under this, so a DTLS record fits a 1280-byte path.
        public var maxPacketSize = 1200
        /// Bytes we hold for reassembly and ordering; what we advertise as a_rwnd.
        public var receiveWindow = 1_048_576
        public var delayedAckTimeout: Duration = .milliseconds(200)
        /// RFC 4960 Association.Max.Retrans and Max.Init.Retransmits.
        public var maxRetransmissions = 10
        public var maxInitRetransmissions = 8
        public init() {}
    }

    public let role: Role
    public let configuration: Configuration
    public private(set) var state: State = .idle
    /// The reason the last packet, chunk or message was dropped, for logs and tests.
    public private(set) var lastDropReason: String? { didSet { drops &+= 1 } }
    /// Everything dropped so far, each with a `lastDropReason`: what the owner counts in its log.
    public private(set) var drops = 0
    public private(set) var droppedPackets = 0
    /// Control chunks (HEARTBEAT ACK echoing a huge HEARTBEAT, ERROR reports) that would not fit
    /// a packet of `maxPacketSize`: refused rather than left blocking every chunk queued behind them.
    public private(set) var refusedControlChunks = 0

    private let localTag: UInt32
    private let localInitialTSN: UInt32
    private var peerTag: UInt32?
    private var now: Timestamp = .zero

    private var outbound: OutboundQueue
    private var inbound: InboundQueue?

    /// Packets that travel alone or under another tag (INIT, INIT ACK, ABORT, SHUTDOWN COMPLETE).
    private var outbox: [[UInt8]] = []
    /// Chunks bundled into the next packet under the peer's tag, ahead of DATA.
    private var control: [SCTPChunk] = []
    private var events: [SCTPEvent] = []

    /// The cookie we handed out in INIT ACK; only its echo establishes the association.
    private var issuedCookie: [UInt8]?
    /// T1-init / T1-cookie (RFC 4960 5.1) and T2-shutdown: the chunk to resend and when.
    private var handshakeTimer: (deadline: Timestamp, chunk: SCTPChunk, attempts: Int, rto: Duration)?

    private var sackDue: Timestamp?
    private var sackNow = false
    private var dataPacketsSinceSack = 0

    private var reconfig = StreamResetState()

    public init(role: Role, configuration: Configuration = Configuration()) {
        self.role = role
        self.configuration = configuration
        localTag = Self.randomNonZero()
        localInitialTSN = Self.randomNonZero()
        outbound = OutboundQueue(
            initialTSN: localInitialTSN, mtu: configuration.maxPacketSize - SCTPPacket.commonHeaderSize,
            peerReceiveWindow: 65_536)
        reconfig.nextRequestSequence = localInitialTSN
    }

    public init(role: Role, localPort: UInt16 = 5000, remotePort: UInt16 = 5000, maxMessageSize: Int = 262_144) {
        var configuration = Configuration()
        configuration.localPort = localPort
        configuration.remotePort = remotePort
        configuration.maxMessageSize = maxMessageSize
        self.init(role: role, configuration: configuration)
    }

    // MARK: - Inputs

    public mutating func start(at time: Timestamp) {
        now = time
        guard state == .idle else { return }
        switch role {
        case .server:
            state = .listening
        case .client:
            state = .cookieWait
            let chunk = SCTPChunk.initiation(ChunkInit(localInitFields(cookie: nil)))
            outbox.append(packet(tag: 0, chunks: [chunk]))
            armHandshakeTimer(chunk)
        }
    }

    public mutating func handlePacket(_ bytes: [UInt8], at time: Timestamp) {
        now = time
        let packet: SCTPPacket
        do {
            packet = try SCTPPacket.parse(bytes)
        } catch {
            return drop("\(error)")
        }
        guard state != .closed else {
            // Our SHUTDOWN COMPLETE was lost: answer the retransmitted SHUTDOWN ACK as an
            // out-of-the-blue packet (RFC 4960 8.4 item 5), or the peer retries until it aborts.
            if packet.chunks.contains(.shutdownAck(ChunkShutdownAck())) {
                outbox.append(
                    self.packet(
                        tag: packet.verificationTag, chunks: [.shutdownComplete(ChunkShutdownComplete(reflectedTag: true))]))
            }
            return drop("association closed")
        }
        guard packet.destinationPort == configuration.localPort, packet.sourcePort == configuration.remotePort else {
            return drop("ports \(packet.sourcePort)->\(packet.destinationPort) are not this association's")
        }
        if let reason = verificationFailure(packet) { return drop(reason) }

        var errors: [SCTPErrorCause] = []
        for chunk in packet.chunks {
            if case .unknown(let unknown) = chunk {
                if unknown.reportsChunk { errors.append(.unrecognizedChunk(unknown)) }
                if unknown.skipsChunk { continue }
                lastDropReason = "unknown chunk type \(unknown.type) ends the packet"
                break
            }
            handle(chunk)
            if state == .closed { return }
        }
        if !errors.isEmpty, peerTag != nil { control.append(.error(ChunkError(causes: errors))) }
        deliverInbound()
    }

    public mutating func handleTimeout(at time: Timestamp) {
        now = time
        guard state != .closed else { return }
        if let timer = handshakeTimer, timer.deadline <= now {
            guard timer.attempts < maxAttempts(for: timer.chunk) else {
                return close(abortingWith: "no answer to \(name(of: timer.chunk)) after \(timer.attempts) attempts")
            }
            resend(timer.chunk)
            let rto = min(timer.rto * 2, RetransmissionTimeout.maximum)
            handshakeTimer = (now + rto, timer.chunk, timer.attempts + 1, rto)
        }
        if let due = sackDue, due <= now { sackNow = true }
        if let deadline = outbound.retransmissionDeadline, deadline <= now {
            outbound.retransmissionTimerExpired(at: now)
            if outbound.consecutiveTimeouts > configuration.maxRetransmissions {
                return close(abortingWith: "peer unresponsive after \(outbound.consecutiveTimeouts) retransmission timeouts")
            }
        }
        if let deadline = reconfig.deadline, deadline <= now, let request = reconfig.inFlight {
            control.append(.reconfig(ChunkReconfig(parameters: [request.parameter])))
            reconfig.deadline = now + outbound.rto.value * 2
        }
    }

    // MARK: - Outputs

    /// The next SCTP packet to send, or nil when there is nothing to send now.
    public mutating func pollTransmit() -> [UInt8]? {
        if !outbox.isEmpty { return outbox.removeFirst() }
        guard let peerTag, state != .closed else { return nil }
        var chunks: [SCTPChunk] = []
        var room = configuration.maxPacketSize - SCTPPacket.commonHeaderSize
        let canSendData = [.established, .shutdownPending, .shutdownReceived].contains(state)
        let hasData = canSendData && !outbound.isEmpty
        if sackNow || (sackDue != nil && hasData), let selectiveAck = inbound?.makeSelectiveAck() {
            let sack = SCTPChunk.selectiveAck(selectiveAck)
            chunks.append(sack)
            room -= sack.wireSize
            sackNow = false
            sackDue = nil
            dataPacketsSinceSack = 0
        }
        refuseOversizedControlChunks()
        while let next = control.first, next.wireSize <= room {
            chunks.append(control.removeFirst())
            room -= next.wireSize
        }
        if canSendData {
            while let data = outbound.nextChunk(room: room, at: now) {
                let chunk = SCTPChunk.payloadData(data)
                chunks.append(chunk)
                room -= chunk.wireSize
            }
        }
        if chunks.isEmpty {
            progressShutdown()
            return outbox.isEmpty ? nil : outbox.removeFirst()
        }
        return packet(tag: peerTag, chunks: chunks)
    }

    private mutating func refuseOversizedControlChunks() {
        let largest = configuration.maxPacketSize - SCTPPacket.commonHeaderSize
        let before = control.count
        control.removeAll { $0.wireSize > largest }
        guard control.count < before else { return }
        refusedControlChunks += before - control.count
        lastDropReason = "control chunk larger than a \(configuration.maxPacketSize)-byte packet refused"
    }

    public mutating func pollEvent() -> SCTPEvent? {
        events.isEmpty ? nil : events.removeFirst()
    }

    public var nextDeadline: Deadline? {
        guard state != .closed else { return nil }
        return Deadline.earliest([
            handshakeTimer.map { Deadline(at: $0.deadline, reason: "SCTP \(name(of: $0.chunk)) retransmission") },
            sackDue.map { Deadline(at: $0, reason: "SCTP delayed SACK") },
            outbound.retransmissionDeadline.map { Deadline(at: $0, reason: "SCTP T3-rtx") },
            reconfig.deadline.map { Deadline(at: $0, reason: "SCTP RE-CONFIG retransmission") },
        ])
    }

    /// User bytes queued or in flight and not yet acknowledged.
    public var bufferedAmount: Int { outbound.bufferedAmount }

    // MARK: - Commands

    /// Queues one message. Before the handshake completes it waits; after `shutdown()` it is refused.
    public mutating func send(streamID: UInt16, ppid: UInt32, bytes: [UInt8], ordered: Bool = true) throws {
        guard [.idle, .listening, .cookieWait, .cookieEchoed, .established].contains(state) else {
            throw SCTPSendError("association is \(state), not accepting messages")
        }
        guard !bytes.isEmpty else {
            throw SCTPSendError("SCTP cannot carry an empty message; data channels send one byte with an empty-message PPID")
        }
        guard bytes.count <= configuration.maxMessageSize else {
            throw SCTPSendError(
                "message of \(bytes.count) bytes exceeds the peer's maximum message size \(configuration.maxMessageSize)")
        }
        guard !reconfig.isResetting(streamID) else {
            throw SCTPSendError("stream \(streamID) is being reset")
        }
        outbound.enqueue(
            streamID: streamID, ppid: ppid, bytes: bytes, ordered: ordered,
            maxFragment: configuration.maxPacketSize - SCTPPacket.commonHeaderSize - ChunkPayloadData.headerSize)
    }

    /// Resets our outgoing side of these streams (RFC 6525 outgoing SSN reset), which closes
    /// the data channels on them. Data already queued is delivered first.
    public mutating func resetStreams(_ ids: [UInt16]) {
        var added = false
        for id in ids where !reconfig.isResetting(id) {
            reconfig.queue(id)
            added = true
        }
        guard added else { return }
        sendNextResetRequest()
    }

    /// Streams named in one outgoing reset request, so that the RE-CONFIG chunk fits a packet:
    /// a request for more (a peer may ask us to reset tens of thousands) goes out in several.
    var maximumStreamsPerResetRequest: Int {
        // Common header, chunk header, parameter header, then three 32-bit fields and 16 bits per stream.
        max(1, (configuration.maxPacketSize - SCTPPacket.commonHeaderSize - SCTPChunk.headerSize - 4 - 12) / 2)
    }

    /// Graceful close: queued data is delivered, then SHUTDOWN (RFC 4960 9.2).
    public mutating func shutdown() {
        switch state {
        case .established: state = .shutdownPending
        case .idle, .listening, .cookieWait, .cookieEchoed: close(abortingWith: "shut down before connecting")
        default: break
        }
    }

    public mutating func abort(reason: String) {
        close(abortingWith: reason)
    }

    // MARK: - Chunk handling

    private mutating func handle(_ chunk: SCTPChunk) {
        switch chunk {
        case .initiation(let initChunk): handleInit(initChunk.fields)
        case .initiationAck(let ack): handleInitAck(ack.fields)
        case .cookieEcho(let echo): handleCookieEcho(echo.cookie)
        case .cookieAck:
            guard state == .cookieEchoed else { return }
            handshakeTimer = nil
            becomeEstablished()
        case .payloadData(let data): handleData(data)
        case .selectiveAck(let sack):
            guard inbound != nil else { return }
            if !outbound.acknowledge(sack, at: now) { lastDropReason = "stale or impossible SACK ignored" }
        case .heartbeat(let heartbeat):
            control.append(.heartbeatAck(ChunkHeartbeatAck(info: heartbeat.info)))
        case .heartbeatAck: break
        case .abort(let abort):
            finish("aborted by peer" + (abort.causes.isEmpty ? "" : ": \(abort.causes.map(\.description).joined(separator: ", "))"))
        case .error(let error):
            lastDropReason = "peer reported \(error.causes.map(\.description).joined(separator: ", "))"
        case .shutdown(let shutdown): handleShutdown(shutdown)
        case .shutdownAck:
            guard state == .shutdownSent || state == .shutdownAckSent, let peerTag else { return }
            outbox.append(packet(tag: peerTag, chunks: [.shutdownComplete(ChunkShutdownComplete())]))
            finish("shutdown")
        case .shutdownComplete:
            guard state == .shutdownAckSent else { return }
            finish("shutdown")
        case .forwardTSN(let forward):
            guard inbound != nil else { return }
            inbound?.forward(forward)
            sackNow = true
            performDeferredResets()
        case .reconfig(let reconfigChunk): handleReconfig(reconfigChunk)
        case .unknown: break
        }
    }

    private mutating func handleInit(_ fields: SCTPInitFields) {
        switch state {
        case .idle, .listening, .cookieWait, .cookieEchoed:
            learnPeer(fields)
            let cookie = issuedCookie ?? Crypto.randomBytes(32)
            issuedCookie = cookie
            outbox.append(
                packet(tag: fields.initiateTag, chunks: [.initiationAck(ChunkInitAck(localInitFields(cookie: cookie)))]))
        default:
            // A restart (RFC 4960 5.2.2) would lose everything in flight; data channels never do it.
            lastDropReason = "INIT in state \(state) ignored"
        }
    }

    private mutating func handleInitAck(_ fields: SCTPInitFields) {
        guard state == .cookieWait, let cookie = fields.stateCookie else {
            lastDropReason = "INIT ACK in state \(state) ignored"
            return
        }
        let echoSize = SCTPChunk.headerSize + cookie.count
        guard echoSize <= configuration.maxPacketSize - SCTPPacket.commonHeaderSize else {
            learnPeer(fields)
            return close(abortingWith: "state cookie of \(cookie.count) bytes cannot be echoed in one packet")
        }
        learnPeer(fields)
        state = .cookieEchoed
        let echo = SCTPChunk.cookieEcho(ChunkCookieEcho(cookie: cookie))
        control.insert(echo, at: 0)
        armHandshakeTimer(echo)
    }

    private mutating func handleCookieEcho(_ cookie: [UInt8]) {
        guard let issuedCookie, cookie == issuedCookie else {
            lastDropReason = "COOKIE ECHO with a cookie we did not issue"
            return
        }
        control.insert(.cookieAck(ChunkCookieAck()), at: 0)
        if [.idle, .listening, .cookieWait, .cookieEchoed].contains(state) {
            handshakeTimer = nil
            control.removeAll { if case .cookieEcho = $0 { true } else { false } }
            becomeEstablished()
        }
    }

    private mutating func handleData(_ data: ChunkPayloadData) {
        // The queue is taken out while it changes: a copy left behind would make every change copy its storage.
        guard [.established, .shutdownPending, .shutdownSent].contains(state), var queue = inbound.take() else {
            lastDropReason = "DATA in state \(state) ignored"
            return
        }
        let outcome = queue.receive(data)
        let progressStalled = outcome == .noRoom && data.tsn == queue.cumulativeTSN &+ 1
        let hasGaps = queue.hasGaps
        inbound = consume queue
        if progressStalled {
            return close(abortingWith: "receive buffer of \(configuration.receiveWindow) bytes exhausted")
        }
        switch outcome {
        case .noRoom: lastDropReason = "DATA TSN \(data.tsn) dropped: receive buffer full"
        case .beyondWindow: lastDropReason = "DATA TSN \(data.tsn) dropped: too far above the cumulative TSN"
        case .accepted, .duplicate: break
        }
        dataPacketsSinceSack += 1
        // RFC 4960 6.2: acknowledge at once on duplicates and holes, otherwise every second packet.
        if outcome != .accepted || hasGaps || data.immediateAck || dataPacketsSinceSack >= 2 {
            sackNow = true
        } else if sackDue == nil {
            sackDue = now + configuration.delayedAckTimeout
        }
        if state == .shutdownSent { sackNow = true }
        performDeferredResets()
    }

    private mutating func handleShutdown(_ shutdown: ChunkShutdown) {
        guard [.established, .shutdownPending, .shutdownSent, .shutdownReceived].contains(state) else { return }
        _ = outbound.acknowledge(
            ChunkSelectiveAck(
                cumulativeTSNAck: shutdown.cumulativeTSNAck,
                advertisedReceiverWindowCredit: UInt32(clamping: outbound.peerReceiveWindow + outbound.flightSize)),
            at: now)
        // Also when both sides shut down at once: each answers the other's SHUTDOWN (RFC 4960 9.2).
        state = .shutdownReceived
        progressShutdown()
    }

    // MARK: - Stream reset (RFC 6525)

    private mutating func handleReconfig(_ chunk: ChunkReconfig) {
        for parameter in chunk.parameters {
            switch parameter {
            case .outgoingSSNResetRequest(let sequence, _, let lastTSN, let streams):
                handleOutgoingResetRequest(sequence: sequence, lastTSN: lastTSN, streams: streams)
            case .incomingSSNResetRequest(let sequence, let streams):
                guard acceptRequestSequence(sequence) else { continue }
                // Answered implicitly by our own outgoing reset of those streams (RFC 6525 5.2.3).
                reconfig.implicitResponse = sequence
                resetStreams(streams)
            case .response(let sequence, let result):
                handleResetResponse(sequence: sequence, result: result)
            case .unknown(let type, _):
                respond(to: nil, result: .denied)
                lastDropReason = "RE-CONFIG parameter \(type) denied"
            }
        }
    }

    private mutating func handleOutgoingResetRequest(sequence: UInt32, lastTSN: UInt32, streams: [UInt16]) {
        if reconfig.deferred.contains(where: { $0.sequence == sequence }) { return }
        if sequence == reconfig.peerNextSequence &- 1, let last = reconfig.lastResult {
            return respond(to: sequence, result: last)
        }
        // Requests wait for the data before them; a peer that piles them up is told to come back.
        if sequence == reconfig.peerNextSequence, reconfig.deferred.count >= StreamResetState.maximumDeferred {
            return respond(to: sequence, result: .errorRequestAlreadyInProgress)
        }
        guard acceptRequestSequence(sequence) else { return }
        reconfig.deferred.append((sequence, lastTSN, streams))
        performDeferredResets()
    }

    /// A request applies once everything the peer sent before it has arrived.
    private mutating func performDeferredResets() {
        guard let cumulative = inbound?.cumulativeTSN else { return }
        while let request = reconfig.deferred.first, Serial.lessOrEqual(request.lastTSN, cumulative) {
            reconfig.deferred.removeFirst()
            deliverInbound()
            inbound?.resetStreams(request.streams)
            events.append(.streamReset(request.streams))
            respond(to: request.sequence, result: .successPerformed)
        }
    }

    private mutating func acceptRequestSequence(_ sequence: UInt32) -> Bool {
        guard sequence == reconfig.peerNextSequence else {
            respond(to: sequence, result: .errorBadSequenceNumber)
            return false
        }
        reconfig.peerNextSequence &+= 1
        return true
    }

    private mutating func respond(to sequence: UInt32?, result: SCTPReconfigResult) {
        if sequence != nil { reconfig.lastResult = result }
        control.append(
            .reconfig(
                ChunkReconfig(parameters: [
                    .response(responseSequenceNumber: sequence ?? reconfig.peerNextSequence &- 1, result: result)
                ])))
    }

    private mutating func handleResetResponse(sequence: UInt32, result: SCTPReconfigResult) {
        guard let request = reconfig.inFlight, request.sequence == sequence else { return }
        if result == .inProgress {
            // The peer still waits for our data; ask again later.
            reconfig.deadline = now + outbound.rto.value
            return
        }
        if result == .successPerformed || result == .successNothingToDo {
            outbound.resetStreams(request.streams)
        } else {
            lastDropReason = "peer refused to reset streams \(request.streams): \(result)"
        }
        reconfig.inFlight = nil
        reconfig.deadline = nil
        sendNextResetRequest()
    }

    private mutating func sendNextResetRequest() {
        guard reconfig.inFlight == nil, !reconfig.queued.isEmpty, peerTag != nil else { return }
        let streams = reconfig.dequeue(maximumStreamsPerResetRequest)
        let sequence = reconfig.nextRequestSequence
        reconfig.nextRequestSequence &+= 1
        let parameter = SCTPReconfigParameter.outgoingSSNResetRequest(
            requestSequenceNumber: sequence,
            responseSequenceNumber: reconfig.implicitResponse ?? (reconfig.peerNextSequence &- 1),
            senderLastTSN: outbound.lastAssignedTSN, streams: streams)
        reconfig.implicitResponse = nil
        reconfig.inFlight = .init(sequence: sequence, streams: streams, parameter: parameter)
        control.append(.reconfig(ChunkReconfig(parameters: [parameter])))
        reconfig.deadline = now + outbound.rto.value * 2
    }

    // MARK: - Helpers

    private mutating func learnPeer(_ fields: SCTPInitFields) {
        peerTag = fields.initiateTag
        outbound.setPeerReceiveWindow(Int(fields.advertisedReceiverWindowCredit))
        if inbound == nil {
            inbound = InboundQueue(
                peerInitialTSN: fields.initialTSN, capacity: configuration.receiveWindow,
                maxMessageSize: configuration.maxReceiveMessageSize)
            reconfig.peerNextSequence = fields.initialTSN
        }
    }

    private mutating func becomeEstablished() {
        state = .established
        events.append(.connected)
        sendNextResetRequest()
    }

    private func localInitFields(cookie: [UInt8]?) -> SCTPInitFields {
        var parameters: [SCTPInitParameter] = [
            .supportedExtensions([SCTPChunkType.forwardTSN, SCTPChunkType.reconfig]), .forwardTSNSupported,
        ]
        if let cookie { parameters.insert(.stateCookie(cookie), at: 0) }
        return SCTPInitFields(
            initiateTag: localTag, advertisedReceiverWindowCredit: UInt32(clamping: configuration.receiveWindow),
            outboundStreams: .max, inboundStreams: .max, initialTSN: localInitialTSN, parameters: parameters)
    }

    /// RFC 4960 8.5: every packet carries the tag the receiver chose, except INIT (0) and the
    /// T-flagged ABORT and SHUTDOWN COMPLETE, which carry the sender's own.
    private func verificationFailure(_ packet: SCTPPacket) -> String? {
        let tag = packet.verificationTag
        if packet.chunks.contains(where: { if case .initiation = $0 { true } else { false } }) {
            guard packet.chunks.count == 1 else { return "INIT bundled with other chunks" }
            return tag == 0 ? nil : "INIT with verification tag \(tag), expected 0"
        }
        if case .abort(let abort) = packet.chunks.first, abort.reflectedTag {
            return tag == peerTag ? nil : "reflected ABORT with the wrong tag"
        }
        if case .shutdownComplete(let complete) = packet.chunks.first, complete.reflectedTag {
            return tag == peerTag ? nil : "reflected SHUTDOWN COMPLETE with the wrong tag"
        }
        return tag == localTag ? nil : "verification tag \(tag) is not ours (\(localTag))"
    }

    private mutating func deliverInbound() {
        guard var queue = inbound.take() else { return }
        for message in queue.takeDelivered() {
            events.append(.message(streamID: message.streamID, ppid: message.ppid, bytes: message.bytes))
        }
        for refusal in queue.takeRefusals() { lastDropReason = refusal }
        inbound = consume queue
        if state == .shutdownReceived || state == .shutdownPending { progressShutdown() }
    }

    /// Moves a graceful close along once nothing of ours is outstanding.
    private mutating func progressShutdown() {
        guard outbound.isEmpty, let peerTag else { return }
        switch state {
        case .shutdownPending:
            state = .shutdownSent
            let chunk = SCTPChunk.shutdown(ChunkShutdown(cumulativeTSNAck: inbound?.cumulativeTSN ?? 0))
            outbox.append(packet(tag: peerTag, chunks: [chunk]))
            armHandshakeTimer(chunk)
        case .shutdownReceived:
            state = .shutdownAckSent
            let chunk = SCTPChunk.shutdownAck(ChunkShutdownAck())
            outbox.append(packet(tag: peerTag, chunks: [chunk]))
            armHandshakeTimer(chunk)
        default:
            break
        }
    }

    private mutating func close(abortingWith reason: String) {
        if let peerTag, state != .closed {
            outbox.append(
                packet(tag: peerTag, chunks: [.abort(ChunkAbort(causes: [.userInitiatedAbort(reason)]))]))
        }
        finish(reason)
    }

    private mutating func finish(_ reason: String) {
        guard state != .closed else { return }
        state = .closed
        handshakeTimer = nil
        sackDue = nil
        reconfig.deadline = nil
        control.removeAll()
        events.append(.closed(reason: reason))
    }

    private mutating func drop(_ reason: String) {
        droppedPackets += 1
        lastDropReason = reason
    }

    private mutating func armHandshakeTimer(_ chunk: SCTPChunk) {
        let rto = outbound.rto.value
        handshakeTimer = (now + rto, chunk, 1, rto)
    }

    private mutating func resend(_ chunk: SCTPChunk) {
        switch chunk {
        case .initiation: outbox.append(packet(tag: 0, chunks: [chunk]))
        case .cookieEcho: control.insert(chunk, at: 0)
        default: if let peerTag { outbox.append(packet(tag: peerTag, chunks: [chunk])) }
        }
    }

    private func maxAttempts(for chunk: SCTPChunk) -> Int {
        switch chunk {
        case .initiation, .cookieEcho: configuration.maxInitRetransmissions + 1
        default: configuration.maxRetransmissions + 1
        }
    }

    private func name(of chunk: SCTPChunk) -> String {
        switch chunk {
        case .initiation: "INIT"
        case .cookieEcho: "COOKIE ECHO"
        case .shutdown: "SHUTDOWN"
        case .shutdownAck: "SHUTDOWN ACK"
        default: "chunk \(chunk.type)"
        }
    }

    private func packet(tag: UInt32, chunks: [SCTPChunk]) -> [UInt8] {
        SCTPPacket(
            sourcePort: configuration.localPort, destinationPort: configuration.remotePort, verificationTag: tag,
            chunks: chunks
        ).serialize()
    }

    private static func randomNonZero() -> UInt32 {
        let bytes = Crypto.randomBytes(4)
        let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return value == 0 ? 1 : value
    }
}

/// Our side of RFC 6525: one outgoing request in flight at a time, the peer's requests in order.
struct StreamResetState {
    struct Request {
        var sequence: UInt32
        var streams: [UInt16]
        var parameter: SCTPReconfigParameter
    }

    /// Peer requests held back waiting for data; more are answered "in progress".
    static let maximumDeferred = 16

    var nextRequestSequence: UInt32 = 0
    /// Streams to reset in the next requests, in order, and the same as a set for lookups.
    private(set) var queued: [UInt16] = []
    private var queuedSet: Set<UInt16> = []
    var inFlight: Request? {
        didSet { inFlightSet = Set(inFlight?.streams ?? []) }
    }
    private var inFlightSet: Set<UInt16> = []
    var deadline: Timestamp?
    /// An incoming SSN reset request our next outgoing request answers.
    var implicitResponse: UInt32?
    var peerNextSequence: UInt32 = 0
    var lastResult: SCTPReconfigResult?
    /// Peer requests waiting for the data sent before them.
    var deferred: [(sequence: UInt32, lastTSN: UInt32, streams: [UInt16])] = []

    func isResetting(_ stream: UInt16) -> Bool {
        queuedSet.contains(stream) || inFlightSet.contains(stream)
    }

    mutating func queue(_ stream: UInt16) {
        if queuedSet.insert(stream).inserted { queued.append(stream) }
    }

    /// The first `count` queued streams, removed from the queue.
    mutating func dequeue(_ count: Int) -> [UInt16] {
        let taken = Array(queued.prefix(count))
        queued.removeFirst(taken.count)
        queuedSet.subtract(taken)
        return taken
    }
}
