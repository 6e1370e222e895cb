import Foundation
import Logging
import Mesh
import MeshIO
import NIOCore
import News
import OperatorInput
import Recorder

/// One run of the bot in one room: signalling, one connection per remote peer and kind, and their recordings.
///
/// The actor only routes (docs/architecture.md): protocol decisions live in `RoomSession`, the socket to the
/// room in `SignallingLoop`, connections in `ConnectionTable` (each runs on its own event loop), recordings in
/// `ConnectionRecordings` (each writes its files in its own task), the manifest in `ManifestKeeper`, chat in
/// `MeetingChat.swift` and `ChatTranscript`, schedules in `AnnouncementScheduler`.
public actor Meeting {
    public nonisolated let configuration: Configuration
    let group: any EventLoopGroup
    let logger: Logger
    let certificate: DTLSCertificate
    /// Where recordings go; nil for a bot that only posts (`announce`).
    public nonisolated let session: SessionFolder?
    private let clock: SessionClock
    private var room: RoomSession
    private var sender: SignallingSocket.Sender?
    let connections = ConnectionTable()
    /// One UDP socket per event loop and connection kind, shared by this meeting's connections.
    private let sockets: SharedDatagramSockets
    private var recordings: ConnectionRecordings?
    private var manifest: ManifestKeeper
    let transcript: ChatTranscript?
    private let scheduler: AnnouncementScheduler
    private var events: AsyncStream<(ConnectionKey, PeerEvent)>.Continuation?
    private var joinedAt: ContinuousClock.Instant?
    /// Chat lines to post once channels open (`--say`): said once, on every camera channel.
    private var pendingAnnouncements: [String]
    private var control: AsyncStream<String>?
    private let stop: StopSignal
    /// Why the room could not be reached, when it could not (`Configuration.joinAttempts`).
    private var unreachable: String?

    public init(configuration: Configuration, group: any EventLoopGroup, logger: Logger) throws {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.room = RoomSession(me: configuration.name)
        self.certificate = try DTLSCertificate()
        self.sockets = SharedDatagramSockets(host: configuration.interface, logger: logger)
        let clock = SessionClock.now()
        self.clock = clock
        let session = configuration.records
            ? try SessionFolder(root: configuration.outputRoot, room: configuration.roomURL.roomName, start: clock.wall) : nil
        self.session = session
        self.recordings = session.map { ConnectionRecordings(session: $0, timeline: clock.timeline, logger: logger) }
        self.manifest = ManifestKeeper(room: configuration.roomURL.description, bot: configuration.name,
                                       session: session, clock: clock, logger: logger)
        self.transcript = session.map { ChatTranscript(session: $0, logger: logger) }
        self.scheduler = AnnouncementScheduler(logger: logger)
        self.pendingAnnouncements = configuration.say
        self.stop = StopSignal(listensToSignals: configuration.stopsOnSignals)
    }

    /// Lines from the control interface are posted into the chat as they come.
    public func takeControl(_ lines: AsyncStream<String>) { control = lines }

    /// Ends the meeting as a stop signal would: leave, finalize, write the manifest; `run` then returns.
    public nonisolated func requestStop() { stop.request() }

    /// Joins, then runs `script` (default: stay until a stop signal or `duration`), then leaves.
    public func run(duration: Duration?, script: (@Sendable (Meeting) async -> Void)? = nil) async throws {
        let destination = session.map { "recording to \($0.path)" } ?? "recording nothing"
        logger.info("joining \(configuration.roomURL) as '\(configuration.name.logSafe)', \(destination)")
        manifest.write()
        if let source = configuration.tileSource {
            connections.tile.start(logger: logger, makeSource: source)
        } else {
            connections.tile.start(botName: configuration.name, logger: logger)
        }
        if let screen = configuration.screenSource {
            connections.screenTile.start(logger: logger, makeSource: screen)
        }
        defer {
            connections.tile.stop()
            connections.screenTile.stop()
        }
        let (eventStream, continuation) = AsyncStream<(ConnectionKey, PeerEvent)>.makeStream()
        events = continuation
        let stop = stop
        let signalling = SignallingLoop(roomURL: configuration.roomURL, group: group, logger: logger)
        let deadline = duration.map { ContinuousClock.now + $0 }
        await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask { [self] in
                for await (key, event) in eventStream { await handle(event, on: key) }
                return false
            }
            if let control {
                // The end of the control input is not a reason to leave: recording goes on.
                tasks.addTask { [self] in
                    for await line in control { await obey(controlLine: line) }
                    return false
                }
            }
            for schedule in configuration.schedules { startSchedule(schedule) }
            let announcements = pendingAnnouncements
            pendingAnnouncements = []
            if !announcements.isEmpty {
                tasks.addTask { [self] in
                    await waitForEveryone(settle: .seconds(2), timeout: .seconds(20))
                    for line in announcements { await post(line, kind: .announcement) }
                    return false
                }
            }
            if let news = configuration.news {
                let service = newsService(news)
                tasks.addTask { [self] in
                    // Posting on join means to the people present, so first let them connect.
                    if news.onJoin { await waitForEveryone(settle: .seconds(2), timeout: .seconds(20)) }
                    await service.run { line in await self.post(line, kind: .news) > 0 }
                    return false
                }
            }
            let joinAttempts = configuration.joinAttempts
            tasks.addTask { [self] in
                let outcome = await signalling.run(
                    stop: stop, until: deadline, endsWithSocket: script != nil, joinAttempts: joinAttempts,
                    onText: { [self] text in await handle(frame: text) },
                    session: { [self] sender in
                        await connected(sender)
                        if let script {
                            await script(self)
                            stop.request()
                        } else {
                            await stop.wait(until: deadline)
                        }
                    })
                if case .unreachable(let reason) = outcome { await failToJoin(reason) }
                return true
            }
            // Only the signalling task ends the meeting: on a stop request, a timeout, or the server closing.
            while let finished = try? await tasks.next() {
                if finished { break }
            }
            scheduler.cancelAll()
            await leave()
            await sockets.close()
            manifest.meetingEnded()
            continuation.finish()
            tasks.cancelAll()
        }
        logger.info("left the room; \(session.map { "recordings in \($0.path); " } ?? "")\(ResourceUsage.current())")
        if let unreachable { throw MeetingError.roomUnreachable(unreachable) }
    }

    private func failToJoin(_ reason: String) { unreachable = reason }

    /// Where the meeting stands, for those who watch it (the service's API): whether the bot is in the room,
    /// and the manifest so far (connections, files, per-track counts).
    public func snapshot() -> MeetingSnapshot {
        MeetingSnapshot(joined: joinedAt != nil, sessionPath: session?.path, manifest: manifest.manifest,
                        openConnections: connections.keys.count)
    }

    private func obey(controlLine line: String) async {
        guard line.hasPrefix("/") else {
            await post(line, kind: .announcement)
            return
        }
        guard let schedule = AnnouncementSchedule.parse(command: line) else {
            logger.warning("control line not understood (use /every 30m TEXT or /at 09:30 TEXT): \(line.logSafe)")
            return
        }
        startSchedule(schedule)
    }

    private func startSchedule(_ schedule: AnnouncementSchedule) {
        scheduler.start(schedule) { [self] text in await post(text, kind: .announcement) }
    }

    private func newsService(_ news: NewsSettings) -> NewsService {
        // The state file sits beside the session folders, so a restarted bot does not repeat itself.
        let statePath = (configuration.outputRoot as NSString).appendingPathComponent("news-state.json")
        return NewsService(feeds: news.feeds, period: news.period, onJoin: news.onJoin,
                           maxPerPost: news.maximumPerPost, statePath: statePath, group: group,
                           logger: logger, clock: SystemNewsClock())
    }

    private func connected(_ sender: SignallingSocket.Sender) async {
        self.sender = sender
        // After a reconnect, the people present are still connected to us peer to peer: joining again
        // would make each of them offer a second connection.
        guard joinedAt == nil else {
            logger.info("signalling reconnected; not announcing ourselves again")
            return
        }
        joinedAt = .now
        observe(.joined)
        await perform([room.join()])
        if configuration.screenSource != nil { await perform([room.startSharing()]) }
    }

    private func handle(frame text: String) async {
        await perform(room.handle(frame: text))
    }

    private func observe(_ observation: MeetingObservation) {
        configuration.observer?(observation)
    }

    private func perform(_ actions: [RoomAction]) async {
        for action in actions {
            switch action {
            case .send(let text):
                do { try await sender?.send(text) } catch { logger.error("signalling send failed: \(error)") }
            case .rejected(let reason):
                logger.warning("\(reason)")
            case .answerOffer(let key, let peer, _) where !(configuration.connectsTo?(peer) ?? true),
                 .makeOffer(let key, let peer) where !(configuration.connectsTo?(peer) ?? true):
                room.connectionClosed(key)
            case .answerOffer(let key, let peer, let sdp):
                let configuration = connectionConfiguration(for: key)
                await open(key, peer: peer) { address, now in
                    try PeerConnection(answering: sdp, configuration: configuration(address), at: now)
                }
            case .makeOffer(let key, let peer):
                let configuration = connectionConfiguration(for: key)
                await open(key, peer: peer) { address, now in
                    PeerConnection(offeringWith: configuration(address), at: now)
                }
            case .applyAnswer(let key, let sdp):
                guard let channel = connections[key] else { continue }
                do {
                    try await channel.withConnection { connection, now in try connection.applyAnswer(sdp, at: now) }
                    observe(.answerApplied(key))
                } catch {
                    observe(.connectionRefused(key, reason: "answer refused: \(error)"))
                    logger.warning("answer from \(key) refused: \(error)")
                    await drop(key, reason: "answer refused: \(error)")
                }
            }
        }
    }

    private func connectionConfiguration(for key: ConnectionKey)
        -> @Sendable (TransportAddress) -> PeerConnectionConfiguration {
        let certificate = certificate
        let unixNanosecondsAtZero = clock.unixNanosecondsAtMonotonicZero
        let lossRepair = configuration.lossRepair
        return { address in
            var configuration = PeerConnectionConfiguration(
                certificate: certificate, localAddress: address, cname: "engage-bot",
                sendsMedia: key.kind != .screen, unixNanosecondsAtZero: unixNanosecondsAtZero)
            configuration.lossRepair = lossRepair
            return configuration
        }
    }

    /// Builds the connection on the shared socket of an event loop, and sends its complete description (no trickle).
    private func open(_ key: ConnectionKey, peer: String,
                      make: @escaping @Sendable (TransportAddress, Timestamp) throws -> PeerConnection) async {
        guard let events else { return }
        do {
            // Media goes straight from the connection's event loop to its recording's queue, which the
            // recording takes in batches. Everything else (and media, for observers that want it) comes here.
            let sink = MediaSink()
            let observesMedia = configuration.observesMedia
            let packetTap = configuration.packetTap
            let channel = try await PeerConnectionChannel.open(
                key: key, sockets: sockets, group: group, logger: logger,
                events: { key, event in
                    // The event is taken apart, not read: a packet bound out of a borrowed event was copied
                    // (its buffers retained) once more per packet.
                    switch consume event {
                    case .rtp(let packet, let track, let at):
                        packetTap?(key, packet.payload.count)
                        if observesMedia { events.yield((key, .rtp(packet, track, at))) }
                        sink.deliver(.packet(packet, track, at))
                    case .senderReport(let ssrc, let ntpTime, let rtpTimestamp):
                        sink.deliver(.senderReport(ssrc: ssrc, ntpTime: ntpTime, rtpTimestamp: rtpTimestamp))
                        events.yield((key, .senderReport(ssrc: ssrc, ntpTime: ntpTime, rtpTimestamp: rtpTimestamp)))
                    case let other:
                        events.yield((key, other))
                    }
                }, makeConnection: make)
            connections.add(channel, for: key)
            var files: [String] = []
            if let file = recordings?.start(key, peer: peer, channel: channel, sink: sink, report: { [self] statistics, placement in
                await recordingReported(key, statistics, placement)
            }, stopped: { [self] reason in
                await recordingStopped(key, reason: reason)
            }) {
                files.append(file)
            }
            let role: MeetingObservation.Role = room.connections[key]?.role == .offerer ? .offerer : .answerer
            manifest.connectionStarted(key, participant: peer, role: role, files: files)
            let description = try await channel.withConnection { connection, _ in connection.localDescription }
            logger.info("\(key) '\(peer.logSafe)': sending \(channel.localAddress) description\(sinceOpened(key))")
            await perform(role == .offerer ? room.offerReady(key, sdp: description) : room.answerReady(key, sdp: description))
            observe(.descriptionSent(key, peer: peer, role: role))
        } catch {
            logger.warning("connection \(key) to '\(peer.logSafe)' not started: \(error)")
            observe(.connectionRefused(key, reason: "\(error)"))
            room.connectionClosed(key)
        }
    }

    /// " N ms after the connection began", for the log lines that time a join step by step.
    private func sinceOpened(_ key: ConnectionKey) -> String {
        connections.openedAt[key].map { " \((ContinuousClock.now - $0).milliseconds) ms after the connection began" } ?? ""
    }

    private func handle(_ event: PeerEvent, on key: ConnectionKey) async {
        if case .rtp = event, !configuration.observesMedia {} else { observe(.peerEvent(key, event)) }
        switch event {
        case .rtp:
            break
        case .iceStateChanged(let state):
            logger.info("\(key): ICE \(state)\(sinceOpened(key))")
        case .connected(let summary, let kinds):
            logger.info("\(key): connected (\(summary))\(sinceOpened(key))")
            recordings?.deliver(.expect(kinds), to: key)
            connections.broadcaster(for: key).requestKeyframe()
        case .trackStarted(let track):
            if let joinedAt, connections.openedAt[key] != nil, connections.isFirstMedia(on: key) {
                logger.info("\(key): first media packet\(sinceOpened(key)), \((ContinuousClock.now - joinedAt).milliseconds) ms after our new-peer")
            }
            logger.info("\(key): receiving \(track)")
            manifest.trackStarted(key, track)
        case .dropped(let reason):
            logger.warning("\(key): \(reason)")
        case .keyframeRequested:
            connections.broadcaster(for: key).requestKeyframe()
        case .remoteReport, .senderReport:
            break
        case .roundTripMeasured(let roundTrip):
            recordings?.deliver(.roundTrip(roundTrip), to: key)
        case .dataChannelOpened:
            guard key.kind == .camera else { return }
            logger.info("\(key): data channel open\(sinceOpened(key))")
            sayRecordingNotice(on: key)
        case .chatMessage(let text):
            guard key.kind == .camera else { return }
            transcript?.append(ChatLine(time: ISOTime.string(Date()), kind: .chat, connection: key.description, raw: text))
        case .closed(let reason):
            logger.info("\(key): closed (\(reason))")
            await drop(key, reason: reason)
        case .failed(let reason):
            logger.error("\(key): failed: \(reason)")
            await drop(key, reason: "failed: \(reason)")
        }
    }

    private func recordingReported(_ key: ConnectionKey, _ statistics: [ParticipantRecorder.TrackStatistics],
                                   _ placement: ParticipantRecorder.Placement?) async {
        let connection = await connectionStatistics(of: key)
        manifest.recordingReported(key, statistics, placement, connection: connection)
    }

    /// The connection's counters, read on its event loop; nil once it is gone.
    private func connectionStatistics(of key: ConnectionKey) async -> PeerConnectionStatistics? {
        guard let channel = connections[key] else { return nil }
        return await Self.statistics(of: channel)
    }

    private static func statistics(of channel: PeerConnectionChannel) async -> PeerConnectionStatistics? {
        try? await channel.withConnection { connection, _ in connection.statistics }
    }

    private func recordingStopped(_ key: ConnectionKey, reason: String) {
        manifest.recordingStopped(key, reason: reason)
    }

    private func drop(_ key: ConnectionKey, reason: String = "the bot left") async {
        let statistics = await connectionStatistics(of: key)
        if let statistics, statistics.repair.packetsRequested > 0 || statistics.keyframeRequestsSent > 0 {
            logger.info("\(key): loss repair: \(statistics.repair); PLI sent \(statistics.keyframeRequestsSent), FIR sent \(statistics.fullIntraRequestsSent)")
        }
        manifest.connectionEnded(key, reason: reason, statistics: statistics)
        room.connectionClosed(key)
        if let recording = recordings?.remove(key) {
            let bytes = await recording.finish()
            observe(.recordingClosed(key, participant: recording.participant, path: recording.path, bytes: bytes))
        }
        if let channel = connections.remove(key) { await channel.close() }
    }

    /// Leaves every connection at once rather than one after another (100 in turn took ~6 s, and peers
    /// that heard nothing meanwhile saw the bot's connection die): every goodbye (RTCP BYE, DTLS close_notify)
    /// goes out first, then all recordings finish side by side, then the sockets close together.
    private func leave() async {
        let started = ContinuousClock.now
        let keys = connections.keys
        // Each connection's last counters for the manifest, read on its own event loop, all at once.
        var statistics: [ConnectionKey: PeerConnectionStatistics] = [:]
        await withTaskGroup(of: (ConnectionKey, PeerConnectionStatistics?).self) { group in
            for key in keys {
                guard let channel = connections[key] else { continue }
                group.addTask { (key, await Self.statistics(of: channel)) }
            }
            for await (key, counters) in group { statistics[key] = counters }
        }
        for key in keys {
            connections[key]?.perform { connection, now in connection.close(at: now) }
        }
        manifest.connectionsEnded(keys, reason: "the bot left", statistics: statistics)
        manifest.hold()
        var finishing: [(key: ConnectionKey, recording: RecordingTask)] = []
        var channels: [PeerConnectionChannel] = []
        for key in keys {
            room.connectionClosed(key)
            if let recording = recordings?.remove(key) { finishing.append((key, recording)) }
            if let channel = connections.remove(key) { channels.append(channel) }
        }
        await withTaskGroup(of: (ConnectionKey, RecordingTask, Int).self) { group in
            for (key, recording) in finishing {
                group.addTask { (key, recording, await recording.finish()) }
            }
            for await (key, recording, bytes) in group {
                observe(.recordingClosed(key, participant: recording.participant, path: recording.path, bytes: bytes))
            }
        }
        manifest.release()
        let recordingsFinished = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for channel in channels {
                group.addTask { await channel.close() }
            }
        }
        await sender?.close()
        logger.info("left \(keys.count) connection(s) in \((ContinuousClock.now - started).milliseconds) ms (\(finishing.count) recording(s) finalized in \((recordingsFinished - started).milliseconds) ms)")
    }
}
