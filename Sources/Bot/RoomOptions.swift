import ArgumentParser
import Logging
import Mesh
import MeshIO

/// What every subcommand that joins a room takes: where, as whom, from which address, how loud.
struct RoomOptions: ParsableArguments {
    @Argument(help: "The room's page URL (http/https) or WebSocket URL (ws/wss).")
    var url: String

    @Option(help: "The name the bot joins under, shown to everyone.")
    var name = "EngageBot"

    @Option(help: "The local IP address for media (host candidate); 127.0.0.1 for loopback-only rooms.")
    var interface = "127.0.0.1"

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func validate() throws {
        _ = try RoomURL.validated(url)
        guard TransportAddress(host: interface, port: 0) != nil else {
            throw ValidationError("--interface must be an IP address literal, got '\(interface)'")
        }
    }

    var roomURL: RoomURL {
        get throws { try RoomURL.validated(url) }
    }
}
