import ArgumentParser
import Foundation
import Logging
import Mesh
import MeshIO
import NIOPosix

struct Join: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join a room, record every participant to WebM, leave on Ctrl-C or after --seconds."
    )

    @Argument(help: "The room's page URL (http/https) or WebSocket URL (ws/wss).")
    var url: String

    @Option(help: "The name the bot joins under, shown to everyone.")
    var name = "EngageBot"

    @Option(help: "The folder that receives one session folder per run.")
    var output = "recordings"

    @Option(help: "The local IP address for media (host candidate); 127.0.0.1 for loopback-only rooms.")
    var interface = "127.0.0.1"

    @Option(help: "Post this line into the chat once connected (repeatable).")
    var say: [String] = []

    @Flag(help: "Post every line read from standard input into the chat.")
    var stdinChat = false

    @Option(help: "A Unix socket path; every line written to it is posted into the chat.")
    var controlSocket: String?

    @Option(help: "Leave after this many seconds (default: stay until interrupted).")
    var seconds: Double?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "engage-bot")
        let roomURL: RoomURL
        do {
            roomURL = try RoomURL(parsing: url)
        } catch {
            throw ValidationError("\(error)")
        }
        guard TransportAddress(host: interface, port: 0) != nil else {
            throw ValidationError("--interface must be an IP address literal, got '\(interface)'")
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let meeting = try Meeting(
            configuration: .init(roomURL: roomURL, name: name, outputRoot: output, interface: interface, say: say),
            group: group, logger: logger)
        var sources: [AsyncStream<String>] = []
        var closeSocket: (@Sendable () async -> Void)?
        if stdinChat { sources.append(ControlInterface.standardInputLines()) }
        if let controlSocket {
            let socket = try await ControlInterface.socketLines(path: controlSocket, group: group, logger: logger)
            sources.append(socket.lines)
            closeSocket = socket.close
        }
        if !sources.isEmpty { await meeting.takeControl(ControlInterface.merge(sources)) }
        try await meeting.run(duration: seconds.map { .milliseconds(Int64($0 * 1000)) })
        await closeSocket?()
    }
}
