import ArgumentParser
import Foundation
import Logging
import MeetingKit
import Mesh
import MeshIO
import NIOCore
import NIOPosix
import Recorder
import RoomServer
import Synchronization

/// `engage-bot demo`: the whole thing on this machine in one command, loopback only.
///
/// An embedded room, synthetic participants (one joined before the recorder, so the recorder answers it;
/// the others after, so it offers to them; one shares a "screen"; they chat), and the recorder, with a
/// progress display while it runs and a table of what was recorded at the end.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a room, synthetic participants and the recorder on this machine; show what was recorded."
    )

    @Option(help: "How long the recorder records.")
    var seconds = 20.0

    @Option(help: "How many synthetic participants.")
    var participants = 3

    @Flag(inversion: .prefixedNo, help: "Let the first participant share a \"screen\".")
    var share = true

    @Flag(help: "The second participant leaves mid-way and comes back (a reloaded page).")
    var rejoin = false

    @Option(help: "The folder that receives the session folder.")
    var output = "recordings"

    @Option(help: "Log level for the components (the progress display is separate): trace ... error.")
    var logLevel = "warning"

    func validate() throws {
        guard (1...12).contains(participants) else { throw ValidationError("--participants must be 1...12") }
        guard seconds >= 4 else { throw ValidationError("--seconds must be at least 4") }
    }

    func run() async throws {
        let logger = BotLogging.bootstrap(level: logLevel)
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await RoomServer.start(
            configuration: RoomServerConfiguration(host: "127.0.0.1", port: 0), group: group, logger: logger)
        let roomURL = try RoomURL.validated("ws://127.0.0.1:\(server.port)/demo")
        print("room server at \(server.url) (room: \(roomURL))")
        let scenario = DemoScenario(roomURL: roomURL, seconds: seconds, participants: participants, share: share,
                                    rejoin: rejoin, output: output)
        let result = try await scenario.run(group: group, logger: logger)
        try await server.shutdown()
        print(result.table)
        print("session folder: \(result.sessionPath)")
        print("chat transcript: \(result.sessionPath)/chat.txt")
        if !result.decodesClean { throw ExitCode(1) }
    }
}

/// The demo's timeline, apart from the command so its pieces are easy to follow.
struct DemoScenario: Sendable {
    var roomURL: RoomURL
    var seconds: Double
    var participants: Int
    var share: Bool
    var rejoin: Bool
    var output: String

    struct Result {
        var sessionPath: String
        var table: String
        var decodesClean: Bool
    }

    func run(group: any EventLoopGroup, logger: Logger) async throws -> Result {
        let stop = CrowdStop()
        let progress = DemoProgress()
        let start = ContinuousClock.now
        let recordingEnds = start + .milliseconds(Int64(seconds * 1000))
        // Participants outlive the recorder by a moment, so every file ends because the recorder left.
        let participantsEnd = recordingEnds + .seconds(1)
        let step = Duration.milliseconds(700)

        var recorderConfiguration = Meeting.Configuration(
            roomURL: roomURL, name: "EngageBot", outputRoot: output, interface: "127.0.0.1")
        recorderConfiguration.observer = { progress.observe($0) }
        recorderConfiguration.packetTap = { key, bytes in progress.count(key, bytes: bytes) }
        let recorder = try Meeting(configuration: recorderConfiguration, group: group, logger: logger)
        let sessionPath = recorder.session?.path ?? output

        func plan(_ index: Int) -> SyntheticParticipant.Plan {
            SyntheticParticipant.Plan(
                name: SyntheticParticipant.name(index + 1), index: index,
                media: .live(width: 320, height: 240, fps: 15, bitrateKbps: 300),
                sharesScreen: share && index == 0, chatEvery: .seconds(3))
        }
        func participant(_ index: Int, from: ContinuousClock.Instant, until: ContinuousClock.Instant) async throws {
            await stop.sleep(until: from)
            guard !stop.isRequested else { return }
            progress.say("\(SyntheticParticipant.name(index + 1)) joins\(share && index == 0 ? " and shares a screen" : "")")
            try await SyntheticParticipant.run(plan(index), roomURL: roomURL, interface: "127.0.0.1", connectsTo: nil,
                                               until: until, stop: stop, group: group, logger: logger)
        }

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            // The first participant is there before the recorder: the recorder answers its offers.
            tasks.addTask { try await participant(0, from: start, until: participantsEnd) }
            tasks.addTask {
                await stop.sleep(until: start + step)
                progress.say("EngageBot (the recorder) joins, recording into \(sessionPath)")
                try await recorder.run(duration: recordingEnds - ContinuousClock.now)
                progress.finished()
            }
            // The others come after it: the recorder offers to them.
            for index in 1..<participants {
                let joins = start + step * (index + 1)
                if rejoin && index == 1 {
                    let leaves = start + .milliseconds(Int64(seconds * 450))
                    let returns = start + .milliseconds(Int64(seconds * 550))
                    tasks.addTask {
                        try await participant(index, from: joins, until: leaves)
                        progress.say("\(SyntheticParticipant.name(index + 1)) left (as a closed page); back soon")
                        try await participant(index, from: returns, until: participantsEnd)
                    }
                } else {
                    tasks.addTask { try await participant(index, from: joins, until: participantsEnd) }
                }
            }
            tasks.addTask {
                while !progress.isFinished, !stop.isRequested {
                    await stop.sleep(until: ContinuousClock.now + .seconds(2))
                    if !progress.isFinished { progress.printStatus(elapsed: ContinuousClock.now - start) }
                }
            }
            try await tasks.waitForAll()
        }
        let report = DemoReport(sessionPath: sessionPath)
        return Result(sessionPath: sessionPath, table: report.table, decodesClean: report.decodesClean)
    }
}

/// What the demo shows while it runs: who joined and each connection's bitrate, from the recorder's observer.
final class DemoProgress: Sendable {
    private struct State {
        var names: [ConnectionKey: String] = [:]
        var bytes: [ConnectionKey: Int] = [:]
        var lastBytes: [ConnectionKey: Int] = [:]
        var lastPrint: ContinuousClock.Instant = .now
        var finished = false
    }

    private let state = Mutex(State())

    var isFinished: Bool { state.withLock { $0.finished } }
    func finished() { state.withLock { $0.finished = true } }

    func say(_ line: String) { print("· \(line)") }

    func observe(_ observation: MeetingObservation) {
        switch observation {
        case .descriptionSent(let key, let peer, let role):
            state.withLock { $0.names[key] = peer }
            say("recorder ↔ \(peer) (\(key.kind.rawValue)): \(role == .offerer ? "recorder offers" : "recorder answers")")
        case .peerEvent(let key, .connected):
            let name = state.withLock { $0.names[key] } ?? key.description
            say("recorder ↔ \(name) (\(key.kind.rawValue)): connected")
        case .peerEvent(let key, .closed(let reason)):
            // A closed connection leaves the bitrate line; a rejoin comes back under a new key.
            let name = state.withLock { state in
                state.bytes[key] = nil
                state.lastBytes[key] = nil
                return state.names[key]
            } ?? key.description
            say("recorder ↔ \(name) (\(key.kind.rawValue)): closed (\(reason))")
        case .peerEvent(_, .chatMessage(let text)):
            say("chat: \(text.logSafe)")
        default:
            break
        }
    }

    func count(_ key: ConnectionKey, bytes: Int) {
        state.withLock { $0.bytes[key, default: 0] += bytes }
    }

    func printStatus(elapsed: Duration) {
        let lines: [String] = state.withLock { state in
            let now = ContinuousClock.now
            let interval = max((now - state.lastPrint).secondsValue, 0.001)
            state.lastPrint = now
            var lines: [String] = []
            for (key, total) in state.bytes.sorted(by: { $0.key.description < $1.key.description }) {
                let delta = total - state.lastBytes[key, default: 0]
                state.lastBytes[key] = total
                let name = state.names[key] ?? key.remoteChannel
                let label = key.kind == .camera ? name : "\(name) (\(key.kind.rawValue))"
                lines.append("\(label) \(Int(Double(delta * 8) / interval / 1000)) kbit/s")
            }
            return lines
        }
        let seconds = String(format: "%.0f", elapsed.secondsValue)
        print("[\(seconds) s] \(lines.isEmpty ? "no media yet" : lines.joined(separator: " · "))")
    }
}

/// The table printed at the end: per recorded file, from the recorder's manifest and, when present, ffprobe/ffmpeg.
struct DemoReport {
    struct Row {
        var participant: String
        var kind: String
        var role: String
        var file: String
        var codecs: String
        var seconds: Double
        var probedSeconds: Double?
        var packets: Int
        var lost: Int
        var decode: String
    }

    let sessionPath: String
    let rows: [Row]

    init(sessionPath: String) {
        self.sessionPath = sessionPath
        let url = URL(fileURLWithPath: sessionPath).appendingPathComponent("manifest.json")
        let manifest = (try? Data(contentsOf: url)).flatMap { try? JSONDecoder().decode(Manifest.self, from: $0) }
        var rows: [Row] = []
        for connection in manifest?.connections ?? [] {
            for file in connection.files {
                let path = (sessionPath as NSString).appendingPathComponent(file)
                guard FileManager.default.fileExists(atPath: path) else { continue }
                let seconds = connection.tracks.map { track -> Double in
                    guard let first = track.firstRTPTimestamp, let last = track.lastRTPTimestamp, track.clockRate > 0 else { return 0 }
                    return Double(last &- first) / Double(track.clockRate)
                }.max() ?? 0
                rows.append(Row(
                    participant: connection.participant, kind: connection.kind, role: connection.role, file: file,
                    codecs: connection.tracks.map(\.codec).joined(separator: "+"), seconds: seconds,
                    probedSeconds: MediaTools.probedSeconds(path), packets: connection.tracks.reduce(0) { $0 + $1.packetsReceived },
                    lost: connection.tracks.reduce(0) { $0 + $1.packetsLost }, decode: MediaTools.decodeCheck(path)))
            }
        }
        self.rows = rows
    }

    var decodesClean: Bool { rows.allSatisfy { $0.decode == "clean" || $0.decode == "no ffmpeg" } }

    var table: String {
        let header = ["participant", "kind", "recorder", "file", "codecs", "seconds (RTP)", "seconds (ffprobe)",
                      "packets", "lost", "ffmpeg decode"]
        let cells = rows.map { row in
            [row.participant, row.kind, row.role, row.file, row.codecs, String(format: "%.1f", row.seconds),
             row.probedSeconds.map { String(format: "%.1f", $0) } ?? "-", "\(row.packets)", "\(row.lost)", row.decode]
        }
        return TextTable.render(header: header, rows: cells)
    }
}

/// ffprobe and ffmpeg as independent readers of a recording, when installed.
enum MediaTools {
    static let ffmpeg = "/usr/bin/ffmpeg"
    static let ffprobe = "/usr/bin/ffprobe"

    /// From the first packet's start to the last packet's end: live files carry no duration field.
    static func probedSeconds(_ path: String) -> Double? {
        guard FileManager.default.isExecutableFile(atPath: ffprobe),
              let output = runTool(ffprobe, ["-v", "error", "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", path])
        else { return nil }
        var first = Double.infinity, last = -Double.infinity
        for line in output.stdout.split(separator: "\n") {
            let fields = line.split(separator: ",").map { Double($0) }
            guard let start = fields.first ?? nil else { continue }
            first = min(first, start)
            last = max(last, start + ((fields.count > 1 ? fields[1] : nil) ?? 0))
        }
        return last >= first ? last - first : nil
    }

    /// "clean" when `ffmpeg -v error` decodes the whole file without a word.
    static func decodeCheck(_ path: String) -> String {
        guard FileManager.default.isExecutableFile(atPath: ffmpeg) else { return "no ffmpeg" }
        // Frames stay on the file's own time base: ffmpeg's default 1/frame-rate grid would flag jittered
        // frames that round to one tick, which says nothing of the file.
        guard let result = runTool(ffmpeg, ["-nostdin", "-v", "error", "-i", path, "-enc_time_base", "-1", "-f", "null", "-"])
        else { return "ffmpeg failed to start" }
        if result.status == 0 && result.stderr.isEmpty { return "clean" }
        let lines = result.stderr.split(separator: "\n")
        return "\(lines.count) error line(s): \(lines.first.map(String.init)?.prefix(60) ?? "exit \(result.status)")"
    }

    static func runTool(_ executable: String, _ arguments: [String]) -> (status: Int32, stdout: String, stderr: String)? {
        // Output goes to temporary files rather than pipes: ffprobe's packet list can fill a pipe and block the tool.
        let directory = FileManager.default.temporaryDirectory
        let stem = "engage-bot-tool-\(UUID().uuidString)"
        let outputURL = directory.appendingPathComponent(stem + ".out"), errorURL = directory.appendingPathComponent(stem + ".err")
        guard FileManager.default.createFile(atPath: outputURL.path, contents: nil),
              FileManager.default.createFile(atPath: errorURL.path, contents: nil),
              let output = try? FileHandle(forWritingTo: outputURL), let error = try? FileHandle(forWritingTo: errorURL)
        else { return nil }
        defer {
            try? output.close()
            try? error.close()
            try? FileManager.default.removeItem(at: outputURL)
            try? FileManager.default.removeItem(at: errorURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = error
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        let standardOutput = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        let standardError = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        return (process.terminationStatus, standardOutput, standardError)
    }
}

/// A plain monospaced table with a rule under the header.
enum TextTable {
    static func render(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                cell + String(repeating: " ", count: max(0, widths[index] - cell.count))
            }.joined(separator: "  ")
        }
        return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
            + rows.map(line)).joined(separator: "\n")
    }
}
