import Foundation
import Logging
import Mesh
import MeshIO
import NIOCore
import News
import Recorder
import Synchronization

/// One run of the bot in one room: signalling, one connection per remote peer and kind, and their recordings.
///
/// The actor only routes: protocol decisions live in `RoomSession`, connections run on their own
/// event loops, and each recording writes its files in its own task.
actor Meeting {
    struct Configuration: Sendable {
        var roomURL: RoomURL
        var name: String
        var outputRoot: String
        var interface: String
        /// Lines to post as soon as the first camera channel opens.
        var say: [String] = []
        var news: NewsSettings?
        /// False for a bot that only posts: no files, no recordings.
        var records = true
        /// Announcements repeated on a schedule (`--announce-every`, `--announce-at`).
        var schedules: [AnnouncementSchedule] = []
        /// Sees every step of every connection: for probes (`check`) and progress displays.
        var observer: (@Sendable (MeetingObservation) -> Void)?
        /// Whether the observer also sees every media packet (`check` reads keyframe headers); off by
        /// default because it is one call per packet.
        var observesMedia = false
        // Synthetic participants (crowd, demo): what they send, what they share, whom they connect to.
        /// What camera connections carry; nil: the bot's slate.
        var tileSource: TileSourceFactory?
        /// A "screen" to share right after joining (PROTOCOL.md, Screen sharing); nil shares nothing.
        var screenSource: TileSourceFactory?
        /// Whether to connect to a peer (by name) at all; nil: everyone, as a browser does. A crowd skips its
        /// own members, so N synthetic senders cost N connections to the recorder rather than a full mesh.
        var connectsTo: (@Sendable (String) -> Bool)?
        /// Sees the size of every RTP packet received, for bitrate displays.
        var packetTap: (@Sendable (ConnectionKey, Int) -> Void)?
    }

    struct NewsSettings: Sendable {
        var feeds: [URL]
        var period: Duration
        var onJoin: Bool
        var maximumPerPost: Int
    }

    let configuration: Configuration
    let group: any EventLoopGroup
    let logger: Logger
    let certificate: DTLSCertificate
    /// Where recordings go; nil for a bot that only posts (`announce`).
    let session: SessionFolder?
    private var room: RoomSession
    private var sender: SignallingSocket.Sender?
    private var recordings: [ConnectionKey: RecordingTask] = [:]
    private var events: AsyncStream<(ConnectionKey, PeerEvent)>.Continuation?
    private var joinedAt: ContinuousClock.Instant?
    private var openedAt: [ConnectionKey: ContinuousClock.Instant] = [:]
    private var manifest: Manifest
    private let chatJSON: AppendOnlyFile?
    private let chatText: AppendOnlyFile?
    /// Chat lines to post once channels open (`--say`): said once, on every camera channel.
    private var pendingAnnouncements: [String]
    private var control: AsyncStream<String>?
    private let tile = TileBroadcaster()
    private var scheduled: [Task<Void, Never>] = []
    /// Sends our shared "screen" on own-screen connections, when `screenSource` is set.
    private let screenTile = TileBroadcaster()
    private let clockOrigin: (monotonic: Timestamp, wall: Date)
    private var firstMediaLogged: Set<ConnectionKey> = []

    init(configuration: Configuration, group: any EventLoopGroup, logger: Logger) throws {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.room = RoomSession(me: configuration.name)
        self.certificate = try DTLSCertificate()
        let start = Date()
        self.clockOrigin = (MonotonicClock.now(), start)
        let session = configuration.records
            ? try SessionFolder(root: configuration.outputRoot, room: configuration.roomURL.roomName, start: start) : nil
        self.session = session
        self.manifest = Manifest(room: configuration.roomURL.description, bot: configuration.name,
                                 startedAt: Meeting.iso(start))
        self.chatJSON = session.map { AppendOnlyFile(path: ($0.path as NSString).appendingPathComponent("chat.jsonl")) }
        self.chatText = session.map { AppendOnlyFile(path: ($0.path as NSString).appendingPathComponent("chat.txt")) }
        self.pendingAnnouncements = configuration.say
    }

    /// Lines from the control interface are posted into the chat as they come.
    func takeControl(_ lines: AsyncStream<String>) { control = lines }

    /// Joins, then runs `script` (default: stay until a stop signal or `duration`), then leaves.
    func run(duration: Duration?, script: (@Sendable (Meeting) async -> Void)? = nil) async throws {
        let destination = session.map { "recording to \($0.path)" } ?? "recording nothing"
        logger.info("joining \(configuration.roomURL) as '\(configuration.name.logSafe)', \(destination)")
        writeManifest()
        if let source = configuration.tileSource {
            tile.start(logger: logger, makeSource: source)
        } else {
            tile.start(botName: configuration.name, logger: logger)
        }
        if let screen = configuration.screenSource {
            screenTile.start(logger: logger, makeSource: screen)
        }
        defer {
            tile.stop()
            screenTile.stop()
        }
        let (eventStream, continuation) = AsyncStream<(ConnectionKey, PeerEvent)>.makeStream()
        events = continuation
        let stop = StopSignal()
        await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask { [self] in
                for await (key, event) in eventStream { await handle(event, on: key) }
                return false
            }
            if let control {
                // The end of the control input is not a reason to leave: recording goes on.
                tasks.addTask { [self] in
                    for await line in control {
                        if line.hasPrefix("/") {
                            guard let schedule = AnnouncementSchedule.parse(command: line) else {
                                logger.warning("control line not understood (use /every 30m TEXT or /at 09:30 TEXT): \(line.logSafe)")
                                continue
                            }
                            await start(schedule)
                        } else {
                            await post(line, kind: .announcement)
                        }
                    }
                    return false
                }
            }
            for schedule in configuration.schedules { start(schedule) }
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
                // The state file sits beside the session folders, so a restarted bot does not repeat itself.
                let statePath = (configuration.outputRoot as NSString).appendingPathComponent("news-state.json")
                let service = NewsService(feeds: news.feeds, period: news.period, onJoin: news.onJoin,
                                          maxPerPost: news.maximumPerPost, statePath: statePath, group: group,
                                          logger: logger, clock: SystemNewsClock())
                tasks.addTask { [self] in
                    // Posting on join means to the people present, so first let them connect.
                    if news.onJoin { await waitForEveryone(settle: .seconds(2), timeout: .seconds(20)) }
                    await service.run { line in await self.post(line, kind: .news) > 0 }
                    return false
                }
            }
            tasks.addTask { [self] in
                await signal(script: script, stop: stop, until: duration.map { ContinuousClock.now + $0 })
                return true
            }
            // Only the signalling task ends the meeting: on a stop request, a timeout, or the server closing.
            while let finished = try? await tasks.next() {
                if finished { break }
            }
            for task in scheduled { task.cancel() }
            await leave()
            manifest.endedAt = Meeting.iso(Date())
            writeManifest()
            continuation.finish()
            tasks.cancelAll()
        }
        logger.info("left the room; \(session.map { "recordings in \($0.path); " } ?? "")\(ResourceUsage.current())")
    }

    /// `announce`: waits until everyone present has a chat channel open (no new connection for `settle`),
    /// posts once, and waits for every peer's SCTP to acknowledge it. Returns (acknowledged, participants).
    /// Posts `schedule`'s text each time it is due, until the bot leaves.
    private func start(_ schedule: AnnouncementSchedule) {
        let setAt = Date()
        let first = schedule.nextFire(after: setAt, setAt: setAt)
        logger.info("announcement scheduled (\(schedule.rule)), first at \(Meeting.iso(first)): \(schedule.text.logSafe)")
        scheduled.append(Task { [self] in
            var now = Date()
            while !Task.isCancelled {
                let due = schedule.nextFire(after: now, setAt: setAt)
                try? await Task.sleep(for: .milliseconds(Int64(max(due.timeIntervalSinceNow, 0) * 1000)))
                if Task.isCancelled { return }
                await post(schedule.text, kind: .announcement)
                now = due
            }
        })
    }

    /// Waits until everyone present is connected with an open chat channel: no new connection for
    /// `settle` (everyone present offers to a newcomer at once) and every camera channel open.
    func waitForEveryone(settle: Duration, timeout: Duration) async {
        let start = ContinuousClock.now
        let deadline = start + timeout
        while ContinuousClock.now < deadline {
            let quiet = ContinuousClock.now - (openedAt.values.max() ?? start) >= settle
            let cameras = channels.filter { $0.key.kind == .camera }.map(\.value)
            var allOpen = true
            for channel in cameras {
                let open = (try? await channel.withConnection { connection, _ in connection.isChatOpen }) ?? false
                if !open { allOpen = false }
            }
            if quiet && allOpen && ContinuousClock.now - start >= settle { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    func announce(_ text: String, settle: Duration, timeout: Duration) async -> (delivered: Int, total: Int) {
        await waitForEveryone(settle: settle, timeout: timeout)
        let line = "\(configuration.name): \(text)"
        var sent: [PeerConnectionChannel] = []
        let cameras = channels.filter { $0.key.kind == .camera }.map(\.value)
        for channel in cameras {
            let accepted = (try? await channel.withConnection { connection, now in connection.sendChat(line, at: now) }) ?? false
            if accepted { sent.append(channel) }
        }
        transcribe(ChatLine(time: Meeting.iso(Date()), kind: .announcement, connection: "bot", raw: line))
        var delivered = 0
        let ackDeadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < ackDeadline {
            delivered = 0
            for channel in sent {
                let pending = (try? await channel.withConnection { connection, _ in
                    connection.isChatOpen ? connection.unacknowledgedChatBytes : -1
                }) ?? -1
                if pending == 0 { delivered += 1 }
            }
            if delivered == sent.count { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return (delivered, cameras.count)
    }

    /// Runs the signalling WebSocket until a stop signal, the end of `until`, or the end of `script`.
    ///
    /// Media flows peer to peer, so a lost WebSocket does not end the meeting for a recording bot: it
    /// reconnects (with backoff) and keeps recording, without a second `new-peer` (which would make
    /// everyone present offer again). A bot running a script (announce, check) ends with the socket.
    private func signal(script: (@Sendable (Meeting) async -> Void)?, stop: StopSignal,
                        until deadline: ContinuousClock.Instant?) async {
        var failures = 0
        while true {
            let started = ContinuousClock.now
            var reason = "the room server closed the connection"
            do {
                try await SignallingSocket.run(
                    url: configuration.roomURL, group: group, logger: logger,
                    onText: { [self] text in await handle(frame: text) },
                    body: { [self] sender in
                        await connected(sender)
                        if let script {
                            await script(self)
                            stop.request()
                        } else {
                            await stop.wait(until: deadline)
                        }
                    })
            } catch {
                reason = "\(error)"
            }
            if stop.isRequested || script != nil || (deadline.map { ContinuousClock.now >= $0 } ?? false) {
                if !stop.isRequested && script != nil { logger.error("signalling ended: \(reason)") }
                return
            }
            failures = ContinuousClock.now - started > .seconds(30) ? 1 : failures + 1
            let backoff = Duration.milliseconds(min(250 << min(failures, 5), 5_000))
            logger.warning("signalling lost (\(reason)); recordings go on; reconnecting in \(backoff.milliseconds) ms")
            await stop.wait(until: ContinuousClock.now + backoff)
            if stop.isRequested { return }
        }
    }

    /// Our tile goes on camera connections only, our shared "screen" (synthetic participants) on our
    /// own screen connections; a remote's screen connection carries the sharer's display.
    private var channels: [ConnectionKey: PeerConnectionChannel] = [:] {
        didSet {
            tile.setTargets(channels.filter { $0.key.kind == .camera }.map(\.value))
            screenTile.setTargets(channels.filter { $0.key.kind == .ownScreen }.map(\.value))
        }
    }

    private func broadcaster(for key: ConnectionKey) -> TileBroadcaster {
        key.kind == .ownScreen ? screenTile : tile
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
                await open(key, peer: peer) { [certificate, wallClockAtZero] address, now in
                    try PeerConnection(answering: sdp, configuration: .init(
                        certificate: certificate, localAddress: address, cname: "engage-bot",
                        sendsMedia: key.kind != .screen, unixNanosecondsAtZero: wallClockAtZero), at: now)
                }
            case .makeOffer(let key, let peer):
                await open(key, peer: peer) { [certificate, wallClockAtZero] address, now in
                    PeerConnection(offeringWith: .init(
                        certificate: certificate, localAddress: address, cname: "engage-bot",
                        sendsMedia: key.kind != .screen, unixNanosecondsAtZero: wallClockAtZero), at: now)
                }
            case .applyAnswer(let key, let sdp):
                guard let channel = channels[key] else { continue }
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

    /// Binds a socket, builds the connection, and sends its complete description (no trickle).
    private func open(_ key: ConnectionKey, peer: String,
                      make: @escaping @Sendable (TransportAddress, Timestamp) throws -> PeerConnection) async {
        guard let events else { return }
        do {
            // Media goes straight from the connection's event loop to its recording: one thread hop per
            // packet instead of two. Everything else (and media, for observers that want it) comes here.
            let sink = MediaSink()
            let observesMedia = configuration.observesMedia
            let packetTap = configuration.packetTap
            let channel = try await PeerConnectionChannel.open(
                key: key, host: configuration.interface, group: group, logger: logger,
                events: { key, event in
                    if case .rtp(let packet, let track, let at) = event {
                        packetTap?(key, packet.payload.count)
                        sink.deliver(.packet(packet, track, at))
                        if !observesMedia { return }
                    }
                    if case .senderReport(let ssrc, let ntpTime, let rtpTimestamp) = event {
                        sink.deliver(.senderReport(ssrc: ssrc, ntpTime: ntpTime, rtpTimestamp: rtpTimestamp))
                    }
                    events.yield((key, event))
                }, makeConnection: make)
            channels[key] = channel
            openedAt[key] = .now
            var files: [String] = []
            if let session {
                let recording = RecordingTask(
                    key: key, peer: peer, session: session, timeline: timeline, logger: logger,
                    requestKeyframe: { ssrc, fullIntra in
                        channel.perform { connection, now in
                            if fullIntra {
                                connection.requestFullIntra(ssrc: ssrc, at: now)
                            } else {
                                connection.requestKeyframe(ssrc: ssrc, at: now)
                            }
                        }
                    },
                    report: { [self] statistics, placement in await recordingReported(key, statistics, placement) })
                recordings[key] = recording
                sink.attach(recording)
                files.append(recording.fileName)
            }
            manifest.connections.append(Manifest.Connection(
                id: key.description, participant: peer, kind: key.kind.rawValue,
                role: room.connections[key]?.role == .offerer ? "offerer" : "answerer",
                startedAt: Meeting.iso(Date()), files: files))
            writeManifest()
            let description = try await channel.withConnection { connection, _ in connection.localDescription }
            logger.info("\(key) '\(peer.logSafe)': sending \(channel.localAddress) description")
            let role = room.connections[key]?.role
            await perform(role == .offerer ? room.offerReady(key, sdp: description) : room.answerReady(key, sdp: description))
            observe(.descriptionSent(key, peer: peer, role: role == .offerer ? .offerer : .answerer))
        } catch {
            logger.warning("connection \(key) to '\(peer.logSafe)' not started: \(error)")
            observe(.connectionRefused(key, reason: "\(error)"))
            room.connectionClosed(key)
        }
    }

    private func handle(_ event: PeerEvent, on key: ConnectionKey) async {
        if case .rtp = event, !configuration.observesMedia {} else { observe(.peerEvent(key, event)) }
        switch event {
        case .rtp:
            break
        case .iceStateChanged(let state):
            logger.info("\(key): ICE \(state)")
        case .connected(let summary, let kinds):
            logger.info("\(key): connected (\(summary))")
            recordings[key]?.deliver(.expect(kinds))
            broadcaster(for: key).requestKeyframe()
        case .trackStarted(let track):
            if let joinedAt, let opened = openedAt[key], firstMediaLogged.insert(key).inserted {
                let now = ContinuousClock.now
                logger.info("\(key): first media packet \((now - opened).milliseconds) ms after the connection began, \((now - joinedAt).milliseconds) ms after our new-peer")
            }
            logger.info("\(key): receiving \(track)")
            if let index = manifest.connections.lastIndex(where: { $0.id == key.description }) {
                manifest.connections[index].tracks.append(Manifest.Track(track: track))
                writeManifest()
            }
        case .dropped(let reason):
            logger.warning("\(key): \(reason)")
        case .keyframeRequested:
            broadcaster(for: key).requestKeyframe()
        case .remoteReport, .senderReport:
            break
        case .roundTripMeasured(let roundTrip):
            recordings[key]?.deliver(.roundTrip(roundTrip))
        case .dataChannelOpened:
            guard key.kind == .camera else { return }
            let since = openedAt[key].map { " \((ContinuousClock.now - $0).milliseconds) ms after the connection began" } ?? ""
            logger.info("\(key): data channel open\(since)")
            let notice = "🔴 This meeting is being recorded by \(configuration.name)."
            // Only a bot that records says so; `announce` records nothing.
            if session != nil, let channel = channels[key] {
                let text = "\(configuration.name): \(notice)"
                channel.perform { connection, now in connection.sendChat(text, at: now) }
                transcribe(ChatLine(time: Meeting.iso(Date()), kind: .notice, connection: key.description, raw: text))
            }
        case .chatMessage(let text):
            guard key.kind == .camera else { return }
            transcribe(ChatLine(time: Meeting.iso(Date()), kind: .chat, connection: key.description, raw: text))
        case .closed(let reason):
            logger.info("\(key): closed (\(reason))")
            await drop(key, reason: reason)
        case .failed(let reason):
            logger.error("\(key): failed: \(reason)")
            await drop(key, reason: "failed: \(reason)")
        }
    }

    /// Posts `text` as `NAME: TEXT` on every open camera channel, as the browsers send chat; returns how many took it.
    @discardableResult
    func post(_ text: String, kind: ChatLine.Kind) async -> Int {
        let line = "\(configuration.name): \(text)"
        var accepted = 0
        for (key, channel) in channels where key.kind == .camera {
            let sent = (try? await channel.withConnection { connection, now in connection.sendChat(line, at: now) }) ?? false
            if sent { accepted += 1 }
        }
        transcribe(ChatLine(time: Meeting.iso(Date()), kind: kind, connection: "bot", raw: line))
        logger.info("posted to \(accepted) participant(s): \(line.logSafe)")
        return accepted
    }

    private func transcribe(_ line: ChatLine) {
        do {
            try chatJSON?.append(line.jsonLine)
            try chatText?.append(line.textLine)
        } catch {
            logger.error("chat transcript not written: \(error)")
        }
    }

    /// Unix time at monotonic zero, for the wall-clock fields of RTCP sender reports.
    /// The session's clock: every file states where it starts on it.
    private nonisolated var timeline: MeetingTimeline {
        MeetingTimeline(origin: clockOrigin.monotonic,
                        unixNanosecondsAtOrigin: Int64(clockOrigin.wall.timeIntervalSince1970 * 1e9))
    }

    private nonisolated var wallClockAtZero: Int64 {
        Int64(clockOrigin.wall.timeIntervalSince1970 * 1e9) - clockOrigin.monotonic.nanoseconds
    }

    private func recordingReported(_ key: ConnectionKey, _ statistics: [ParticipantRecorder.TrackStatistics],
                                   _ placement: ParticipantRecorder.Placement?) {
        let origin = clockOrigin
        manifest.update(connection: key.description, statistics: statistics) { timestamp in
            Meeting.iso(origin.wall.addingTimeInterval((timestamp - origin.monotonic).secondsValue))
        }
        if let placement {
            manifest.place(connection: key.description, timelineOffsetMilliseconds: placement.timelineOffsetMilliseconds,
                           fileStartedAt: Meeting.iso(Date(timeIntervalSince1970: Double(placement.startUnixMilliseconds) / 1000)))
        }
        writeManifest()
    }

    private func writeManifest() {
        session?.writeAtomically("manifest.json", manifest.encoded())
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    private func drop(_ key: ConnectionKey, reason: String = "the bot left") async {
        if let index = manifest.connections.lastIndex(where: { $0.id == key.description && $0.endedAt == nil }) {
            manifest.connections[index].endedAt = Meeting.iso(Date())
            manifest.connections[index].endReason = reason
        }
        room.connectionClosed(key)
        if let recording = recordings.removeValue(forKey: key) { await recording.finish() }
        if let channel = channels.removeValue(forKey: key) { await channel.close() }
    }

    private func leave() async {
        for key in Array(channels.keys) { await drop(key) }
        await sender?.close()
    }
}

/// One step of one connection, for observers of a meeting.
enum MeetingObservation: Sendable {
    enum Role: String, Sendable { case offerer, answerer }
    /// Our complete offer or answer went to the peer.
    case descriptionSent(ConnectionKey, peer: String, role: Role)
    /// The peer's answer to our offer was applied.
    case answerApplied(ConnectionKey)
    /// The connection could not start (bad SDP, bad fingerprint line, refused answer).
    case connectionRefused(ConnectionKey, reason: String)
    /// Everything the connection reports; media packets only with `observesMedia`.
    case peerEvent(ConnectionKey, PeerEvent)
}

/// Resolves on SIGINT/SIGTERM, on `request()`, or at a deadline, whichever comes first.
///
/// Unchecked: the dispatch sources are set up once in `init` and only kept alive afterwards; the
/// flag is a Mutex.
final class StopSignal: @unchecked Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let sources: [any DispatchSourceSignal]
    private let requested = Mutex(false)

    init() {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.stream = stream
        self.continuation = continuation
        var made: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            made.append(source)
        }
        sources = made
        for source in sources {
            source.setEventHandler { [weak self] in self?.request() }
            source.resume()
        }
    }

    var isRequested: Bool { requested.withLock { $0 } }

    func request() {
        requested.withLock { $0 = true }
        continuation.yield()
    }

    /// Returns when stopped or at `deadline` (nil: only a stop).
    func wait(until deadline: ContinuousClock.Instant?) async {
        if isRequested { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [stream] in
                for await _ in stream { return }
            }
            if let deadline {
                group.addTask { try? await Task.sleep(until: deadline) }
            }
            await group.next()
            group.cancelAll()
        }
        // The stream holds one element; a second waiter must still see the stop.
        if isRequested { continuation.yield() }
    }

    func wait(timeout: Duration?) async {
        await wait(until: timeout.map { ContinuousClock.now + $0 })
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// CPU time and peak memory of this process, for the figures the bot reports when it leaves.
struct ResourceUsage: CustomStringConvertible {
    var userSeconds: Double
    var systemSeconds: Double
    var peakResidentKilobytes: Int

    static func current() -> ResourceUsage {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return ResourceUsage(
            userSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            systemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
            peakResidentKilobytes: usage.ru_maxrss)
    }

    var description: String {
        let cpu = userSeconds + systemSeconds
        return "CPU \(String(format: "%.2f", cpu)) s (user \(String(format: "%.2f", userSeconds)), "
            + "system \(String(format: "%.2f", systemSeconds))), peak RSS \(peakResidentKilobytes / 1024) MiB"
    }
}
