import ArgumentParser
import Foundation
import Logging
import MeetingKit
import Mesh
import MeshIO
import NIOPosix

/// Joins, posts one line to everyone present, confirms each received it, and leaves.
struct Announce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Post one line into a room's chat and confirm that every participant received it.",
        discussion: "Exit status: 0 when every participant acknowledged the line, 1 when some did not, 2 when nobody was there."
    )

    @OptionGroup var room: RoomOptions

    @Option(help: "The line to post.")
    var say: String

    @Option(help: "Seconds without a new participant before posting (everyone present answers a newcomer at once).")
    var settle: Double = 2

    @Option(help: "Seconds to wait at most for everyone's chat channel.")
    var timeout: Double = 20

    func run() async throws {
        let logger = BotLogging.bootstrap(level: room.logLevel)
        let meeting = try Meeting(
            configuration: .init(roomURL: try room.roomURL, name: room.name, outputRoot: "", interface: room.interface,
                                 records: false),
            group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let result = ResultBox()
        let settle = Duration.milliseconds(Int64(settle * 1000))
        let timeout = Duration.milliseconds(Int64(timeout * 1000))
        try await meeting.run(duration: Duration?.none) { [say] meeting in
            result.set(await meeting.announce(say, settle: settle, timeout: timeout))
        }
        let (delivered, total) = result.value ?? (0, 0)
        print("announcement delivered to \(delivered) of \(total) participant(s)")
        if total == 0 { throw ExitCode(2) }
        if delivered < total { throw ExitCode(1) }
    }

    final class ResultBox: @unchecked Sendable {
        // Written once by the script before `run` returns, read after: no concurrent access.
        private(set) var value: (Int, Int)?
        func set(_ value: (Int, Int)) { self.value = value }
    }
}

enum BotLogging {
    /// Logs to standard error at `level`; returns the bot's logger.
    static func bootstrap(level text: String) -> Logger {
        let level = Logger.Level(rawValue: text) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "engage-bot")
    }
}

extension RoomURL {
    static func validated(_ text: String) throws -> RoomURL {
        do {
            return try RoomURL(parsing: text)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
