import ArgumentParser
import Logging
import MeetingKit
import Mesh
import MeshIO
import NIOPosix

/// `engage-bot crowd URL --participants N`: synthetic participants for load and for demos.
struct CrowdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crowd",
        abstract: "Join a room with N synthetic participants (test pattern + tone, chat now and then)."
    )

    @Argument(help: "The room's page URL (http/https) or WebSocket URL (ws/wss).")
    var url: String

    @Option(help: "How many participants (synthetic-1 ... synthetic-N).")
    var participants = 3

    @Flag(help: "Replay 640x480 VP8 at ~1 Mbps encoded once at start, instead of encoding 320x240 live for each.")
    var replay = false

    @Option(help: "Leave after this many seconds.")
    var seconds = 60.0

    @Option(help: "The participant (1-based) that shares a \"screen\".")
    var share: Int?

    @Flag(inversion: .prefixedNo, help: "Connect the participants among themselves, as browsers do (default: only with peers outside the crowd).")
    var mesh = false

    @Flag(inversion: .prefixedNo, help: "Post a chat line every few seconds.")
    var chat = true

    @Option(help: "Milliseconds between two participants' joins.")
    var staggerMs = 100

    @Option(help: "The local IP address for media.")
    var interface = "127.0.0.1"

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "notice"

    func validate() throws {
        guard participants >= 1, participants <= 500 else { throw ValidationError("--participants must be 1...500") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        if let share, !(1...participants).contains(share) { throw ValidationError("--share must name one of the participants") }
    }

    func run() async throws {
        let logger = BotLogging.bootstrap(level: logLevel)
        let roomURL = try RoomURL.validated(url)
        try await Crowd.run(
            .init(participants: participants, replay: replay, seconds: seconds, share: share, mesh: mesh, chat: chat,
                  stagger: .milliseconds(Int64(max(staggerMs, 0))), interface: interface),
            roomURL: roomURL, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        logger.notice("crowd left; \(ResourceUsage.current())")
    }
}
