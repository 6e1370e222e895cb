import ArgumentParser
import Foundation
import Logging
import MeetingKit
import Mesh
import MeshIO
import NIOCore
import NIOPosix
import OperatorInput
import Synchronization

/// `engage-bot check`: an end-to-end probe of a room for CI pipelines.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Probe a room end to end: join, time every stage of every connection, report, leave.",
        discussion: """
        For every participant met (the bot answers those present and offers to those who join), the check \
        times from the connection's start: signalling (offer/answer exchanged, flags matched), ice, dtls \
        (certificate matches the SDP fingerprint), audio (SRTP packets), video (SRTP packets and a VP8/VP9 \
        keyframe header with its resolution), rtcp-audio and rtcp-video (receiver reports on the bot's own \
        tile), data-channel. It ends when everyone met has passed everything (after --settle without a \
        newcomer, and once --expect participants are there) or at --timeout, then leaves cleanly.

        --room-only checks the signalling server alone and exits 0 or 3: connect, send new-peer (with a \
        nonce), see the room broadcast it back. Peers present will offer to that name; nobody answers them.

        Output: a table on standard output, --json FILE and --junit FILE (a testsuite "room", then one per \
        participant with a testcase per stage).

        Exit status: 0 everything expected passed; 3 the room's signalling failed (the WebSocket could not \
        connect or upgrade, our new-peer was not echoed with --room-only, or the socket was lost during the \
        check); 4 a participant failed a stage, or fewer than --expect participants showed up; 1 the check \
        could not run or write its reports; 64 a usage error.
        """
    )

    @Argument(help: "The room's page URL (http/https) or WebSocket URL (ws/wss).")
    var url: String

    @Option(help: "Fail (exit 4) unless at least this many participants show up before the timeout.")
    var expect = 0

    @Option(help: "The whole check, leaving included, takes at most this long: 30s, 2m, or seconds.")
    var timeout = "30s"

    @Option(help: "How long without a newcomer before the check may end (everyone present offers at once).")
    var settle = "2s"

    @Option(help: "Write a JUnit XML report here.")
    var junit: String?

    @Option(help: "Write a JSON report here.")
    var json: String?

    @Flag(help: "Also record every participant, as `join` does (default: write nothing).")
    var record = false

    @Option(help: "With --record: the folder that receives the session folder.")
    var output = "recordings"

    @Option(help: "The name the bot joins under, shown to everyone.")
    var name = "engage-check"

    @Option(help: "The local IP address for media (host candidate); 127.0.0.1 for loopback-only rooms.")
    var interface = "127.0.0.1"

    @Flag(help: "Check only the signalling server: connect, send new-peer, see its echo. No WebRTC.")
    var roomOnly = false

    @Option(help: "Log level (standard error): trace, debug, info, notice, warning, error.")
    var logLevel = "warning"

    func validate() throws {
        guard expect >= 0 else { throw ValidationError("--expect takes a count of participants, 0 or more") }
        guard Check.duration(timeout) != nil else {
            throw ValidationError("--timeout takes a duration such as 30s, 2m or 25, got '\(timeout)'")
        }
        guard Check.duration(settle) != nil else {
            throw ValidationError("--settle takes a duration such as 2s, got '\(settle)'")
        }
        guard TransportAddress(host: interface, port: 0) != nil else {
            throw ValidationError("--interface must be an IP address literal, got '\(interface)'")
        }
        guard !name.isEmpty else { throw ValidationError("--name must not be empty") }
    }

    /// `DurationText` plus fractions of seconds ("2.5"), which tests and CI scripts use for short waits.
    static func duration(_ text: String) -> Duration? {
        if let seconds = Double(text), seconds > 0, seconds < 86_400 { return .milliseconds(Int64(seconds * 1000)) }
        return DurationText.parse(text)
    }

    func run() async throws {
        let logger = BotLogging.bootstrap(level: logLevel)
        let roomURL = try RoomURL.validated(url)
        let timeout = Check.duration(timeout) ?? .seconds(30)
        let settle = Check.duration(settle) ?? .seconds(2)
        let started = ContinuousClock.now
        let group = MultiThreadedEventLoopGroup.singleton
        var report = CheckReport(mode: roomOnly ? .roomOnly : .mesh, url: roomURL.description, botName: name,
                                 startedAt: ISOTime.string(Date()), expected: expect)
        if roomOnly {
            report.room = await RoomProbe.run(url: roomURL, echoAs: name, group: group, logger: logger,
                                              started: started, deadline: started + timeout)
        } else {
            // A bare connect first: it tells "room unreachable" (with the reason) from everything else
            // without sending new-peer, which would make everyone present offer to a ghost.
            let reach = await RoomProbe.run(url: roomURL, echoAs: nil, group: group, logger: logger,
                                            started: started, deadline: started + timeout)
            report.room = reach
            if reach.allSatisfy({ $0.status == .passed }) {
                let mesh = try await probeMesh(roomURL, group: group, logger: logger, started: started,
                                               timeout: timeout, settle: settle)
                report.room += mesh.room
                report.participants = mesh.participants
            }
        }
        report.elapsedMilliseconds = (ContinuousClock.now - started).milliseconds
        var unwritten: [String] = []
        if let json {
            do { try write(try report.json(), to: json) } catch { unwritten.append("\(json): \(error)") }
        }
        if let junit {
            do { try write(Data(report.junitXML().utf8), to: junit) } catch { unwritten.append("\(junit): \(error)") }
        }
        print(report.table(), terminator: "")
        for line in unwritten { logger.error("report not written: \(line)") }
        if !unwritten.isEmpty { throw ExitCode(1) }
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }

    private func write(_ data: Data, to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Joins as a peer, watches every connection until all passed (or the deadline), then leaves.
    private func probeMesh(_ roomURL: RoomURL, group: any EventLoopGroup, logger: Logger,
                           started: ContinuousClock.Instant, timeout: Duration,
                           settle: Duration) async throws -> (room: [CheckReport.Step], participants: [CheckReport.Participant]) {
        let probe = MeshProbe(started: started, expect: expect, settle: settle, timeout: timeout)
        var configuration = Meeting.Configuration(roomURL: roomURL, name: name, outputRoot: output, interface: interface,
                                                  records: record)
        configuration.observer = { probe.observe($0) }
        configuration.observesMedia = true
        let meeting = try Meeting(configuration: configuration, group: group, logger: logger)
        // Leaving (RTCP BYE and close_notify per connection, then the WebSocket) gets the end of the
        // timeout: a quarter of it, at most 2 s.
        let leaveReserve = min(timeout / 4, .seconds(2))
        let probeDeadline = started + timeout - leaveReserve
        let left = await Check.within(started + timeout) {
            do {
                try await meeting.run(duration: nil) { _ in await probe.watch(until: probeDeadline) }
            } catch {
                logger.error("meeting ended with an error: \(error)")
            }
            return true
        }
        if left == nil { logger.warning("leaving the room did not finish within the timeout; reporting anyway") }
        return probe.results()
    }

    /// Runs `operation` in a task of its own and returns its result, or nil at `deadline` (then the
    /// operation is cancelled but not waited for: a connect stuck in the kernel must not hold the check).
    static func within<T: Sendable>(_ deadline: ContinuousClock.Instant,
                                    _ operation: @escaping @Sendable () async -> T) async -> T? {
        let once = Once<T?>()
        return await withCheckedContinuation { continuation in
            once.set(continuation)
            let work = Task {
                let value = await operation()
                once.resume(value)
            }
            once.onFinish(Task {
                try? await Task.sleep(until: deadline)
                work.cancel()
                once.resume(nil)
            })
        }
    }
}

/// A continuation resumed once, by whichever of two tasks gets there first.
final class Once<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, Never>?, timer: Task<Void, Never>?, done: Bool)>(
        (nil, nil, false))

    func set(_ continuation: CheckedContinuation<T, Never>) { state.withLock { $0.continuation = continuation } }

    /// The timer is cancelled when the work wins, so it does not sleep on to the deadline.
    func onFinish(_ timer: Task<Void, Never>) {
        let cancelNow = state.withLock { state -> Bool in
            state.timer = timer
            return state.done
        }
        if cancelNow { timer.cancel() }
    }

    func resume(_ value: T) {
        let (continuation, timer) = state.withLock { state -> (CheckedContinuation<T, Never>?, Task<Void, Never>?) in
            guard !state.done else { return (nil, nil) }
            state.done = true
            defer { state.continuation = nil }
            return (state.continuation, state.timer)
        }
        timer?.cancel()
        continuation?.resume(returning: value)
    }
}

/// The signalling server alone: WebSocket connect and upgrade, and optionally the echo of our new-peer.
enum RoomProbe {
    private final class Progress: Sendable {
        let connectedAt = Mutex<Int64?>(nil)
        let echoedAt = Mutex<Int64?>(nil)
        let echo: AsyncStream<Void>
        let echoed: AsyncStream<Void>.Continuation

        init() { (echo, echoed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1)) }
    }

    /// Steps `websocket` and, with `echoAs`, `echo`; times from `started`.
    static func run(url: RoomURL, echoAs name: String?, group: any EventLoopGroup, logger: Logger,
                    started: ContinuousClock.Instant, deadline: ContinuousClock.Instant) async -> [CheckReport.Step] {
        let progress = Progress()
        // A nonce in the message tells our own echo from another client that happens to use our name.
        let nonce = UUID().uuidString
        let frame = name.map { newPeerFrame(name: $0, nonce: nonce) }
        let since: @Sendable () -> Int64 = { (ContinuousClock.now - started).milliseconds }
        let outcome = await Check.within(deadline) { () -> String? in
            do {
                try await SignallingSocket.run(
                    url: url, group: group, logger: logger,
                    onText: { text in
                        guard let name, isEcho(text, name: name, nonce: nonce) else { return }
                        progress.echoedAt.withLock { if $0 == nil { $0 = since() } }
                        progress.echoed.yield()
                    },
                    body: { sender in
                        progress.connectedAt.withLock { $0 = since() }
                        if let frame {
                            try await sender.send(frame)
                            for await _ in progress.echo { break }
                        }
                        await sender.close()
                    })
                return nil
            } catch {
                return "\(error)"
            }
        }
        let total = (deadline - started).milliseconds
        var steps: [CheckReport.Step] = []
        let connectedAt = progress.connectedAt.withLock { $0 }
        if let connectedAt {
            steps.append(.init(name: "websocket", status: .passed, milliseconds: connectedAt,
                               detail: "connected and upgraded to a WebSocket at \(url)"))
        } else {
            let happened = outcome.map { $0 ?? "the connection ended before the upgrade" }
                ?? "no upgraded connection within \(CheckReport.seconds(total)) s"
            steps.append(.init(name: "websocket", status: .failed, milliseconds: since(),
                               detail: "expected a WebSocket connection to \(url); \(happened)"))
        }
        guard let name else { return steps }
        if let echoedAt = progress.echoedAt.withLock({ $0 }) {
            steps.append(.init(name: "echo", status: .passed, milliseconds: echoedAt,
                               detail: "the room broadcast our new-peer back to us"))
        } else {
            let happened = connectedAt == nil ? "not reached: no WebSocket"
                : "no new-peer from '\(name)' came back within \(CheckReport.seconds(total)) s"
            steps.append(.init(name: "echo", status: .failed, milliseconds: since(),
                               detail: "expected the room to broadcast our new-peer back to us; \(happened)"))
        }
        return steps
    }

    static func newPeerFrame(name: String, nonce: String) -> String {
        let frame: [String: Any] = [
            "peer": name, "action": "new-peer",
            "message": ["local_screen_sharing": false, "engage_check": nonce] as [String: Any],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: frame)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Our new-peer coming back: same name, and our nonce unless the server dropped unknown fields.
    static func isEcho(_ text: String, name: String, nonce: String) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              object["action"] as? String == "new-peer", object["peer"] as? String == name,
              let message = object["message"] as? [String: Any] else { return false }
        guard let echoed = message["engage_check"] else { return true }
        return echoed as? String == nonce
    }
}

/// The live side of a mesh check: observations in (from the meeting's actor), the verdict out.
final class MeshProbe: Sendable {
    private struct State {
        var tracker = CheckTracker()
        var joinedAt: Int64?
        /// The meeting's signalling ended before the check did (the server closed the socket).
        var signallingLostAt: Int64?
        var finishedAt: Int64?
    }

    private let started: ContinuousClock.Instant
    private let expect: Int
    private let settle: Int64
    private let timeout: Int64
    private let state = Mutex(State())

    init(started: ContinuousClock.Instant, expect: Int, settle: Duration, timeout: Duration) {
        self.started = started
        self.expect = expect
        self.settle = settle.milliseconds
        self.timeout = timeout.milliseconds
    }

    private var now: Int64 { (ContinuousClock.now - started).milliseconds }

    func observe(_ observation: MeetingObservation) {
        let at = now
        state.withLock { $0.tracker.observe(observation, at: at) }
    }

    /// The meeting's script: returns when the check is complete or at `deadline`; the meeting then leaves.
    func watch(until deadline: ContinuousClock.Instant) async {
        state.withLock { $0.joinedAt = now }
        while ContinuousClock.now < deadline {
            if Task.isCancelled {
                state.withLock { $0.signallingLostAt = now }
                break
            }
            if isComplete() { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        state.withLock { $0.finishedAt = now }
    }

    private func isComplete() -> Bool {
        let at = now
        return state.withLock { state in
            guard let joined = state.joinedAt, at - joined >= settle else { return false }
            guard state.tracker.participantsMet >= expect else { return false }
            if let last = state.tracker.lastNewConnection, at - last < settle { return false }
            return state.tracker.allSettled
        }
    }

    func results() -> (room: [CheckReport.Step], participants: [CheckReport.Participant]) {
        let at = now
        return state.withLock { state in
            let end = state.finishedAt ?? at
            var room: [CheckReport.Step] = []
            if let joined = state.joinedAt {
                room.append(.init(name: "joined", status: .passed, milliseconds: joined,
                                  detail: "the bot's WebSocket connected and its new-peer went out"))
            } else {
                room.append(.init(name: "joined", status: .failed, milliseconds: end,
                                  detail: "expected the bot's own WebSocket to connect and send new-peer; it did not (see the log)"))
            }
            if let lost = state.signallingLostAt {
                room.append(.init(name: "signalling", status: .failed, milliseconds: lost,
                                  detail: "expected the room's WebSocket to stay open for the check; the server closed it"))
            } else if state.joinedAt != nil {
                room.append(.init(name: "signalling", status: .passed, milliseconds: end,
                                  detail: "the WebSocket stayed open for the whole check"))
            }
            let participants = state.tracker.participants(at: end, timeout: timeout)
            let names = Set(participants.map { $0.channel }).count
            let list = participants.filter { $0.connection == "camera" }.map(\.name).joined(separator: ", ")
            let met = "\(names) participant(s) met\(list.isEmpty ? "" : ": \(list)")"
            if names >= expect {
                room.append(.init(name: "participants", status: .passed, milliseconds: end,
                                  detail: expect > 0 ? "\(met) (expected at least \(expect))" : "\(met) (no --expect)"))
            } else {
                room.append(.init(name: "participants", status: .failed, milliseconds: end,
                                  detail: "expected at least \(expect) participant(s) within "
                                      + "\(CheckReport.seconds(timeout)) s; \(met)"))
            }
            return (room, participants)
        }
    }
}
