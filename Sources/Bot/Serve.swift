import ArgumentParser
import Logging
import MeetingKit
import NIOPosix
import RoomServer

/// Runs the embedded room server: wire-compatible with the Django Channels consumer, with a room page.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve rooms of the ENGAGE protocol (WebSocket relay plus a room page) on this machine."
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 8000

    @Flag(help: "One room for every path, as the original server does (default: one room per URL path).")
    var singleRoom = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func run() async throws {
        let logger = BotLogging.bootstrap(level: logLevel)
        let server = try await RoomServer.start(
            configuration: RoomServerConfiguration(host: host, port: port, singleRoom: singleRoom),
            group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        print("room server at \(server.url) (rooms: \(singleRoom ? "one for every path" : "one per path"))")
        let stop = StopSignal()
        await stop.wait(timeout: nil)
        try await server.shutdown()
    }
}
