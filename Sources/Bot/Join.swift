import ArgumentParser
import Foundation
import Logging
import MeetingKit
import Mesh
import MeshIO
import NIOPosix
import OperatorInput

struct Join: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join a room, record every participant to WebM, leave on Ctrl-C or after --seconds."
    )

    @OptionGroup var room: RoomOptions

    @Option(help: "The folder that receives one session folder per run.")
    var output = "recordings"

    @Option(help: "Post this line into the chat once connected (repeatable).")
    var say: [String] = []

    @Flag(help: "Post every line read from standard input into the chat.")
    var stdinChat = false

    @Option(help: "A Unix socket path; every line written to it is posted into the chat.")
    var controlSocket: String?

    @Option(help: "A news feed (RSS 2.0, Atom 1.0 or JSON Feed 1.1, http or https) whose new items are posted into the chat (repeatable).")
    var news: [String] = []

    @Option(help: "How often new feed items are posted, e.g. 1h, 30m, 90s; aligned to the clock (default 1h: on the hour).")
    var newsEvery = "1h"

    @Flag(help: "Also post the latest feed items as soon as the bot has joined.")
    var newsOnJoin = false

    @Option(help: "At most this many feed items per post.")
    var newsMax = 5

    @Option(help: ArgumentHelp("Repeat an announcement: 'DURATION TEXT', e.g. '30m Please mute when not speaking' (repeatable).",
                               valueName: "period text"))
    var announceEvery: [String] = []

    @Option(help: ArgumentHelp("Announce daily at a local time: 'HH:MM TEXT', e.g. '09:55 Standup in five minutes' (repeatable).",
                               valueName: "time text"))
    var announceAt: [String] = []

    @Option(help: "Leave after this many seconds (default: stay until interrupted).")
    var seconds: Double?

    @Flag(help: ArgumentHelp("Do not negotiate NACK and RTX: lost packets then cost the picture until the next keyframe.",
                             discussion: "For measuring what loss repair is worth; keyframe requests (PLI, FIR) stay."))
    var noLossRepair = false


    func run() async throws {
        let logger = BotLogging.bootstrap(level: room.logLevel)
        let roomURL = try room.roomURL
        var newsSettings: Meeting.NewsSettings?
        if !news.isEmpty {
            let feeds = try news.map { text -> URL in
                guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                      url.host != nil else {
                    throw ValidationError("--news needs an http or https URL, got '\(text)'")
                }
                return url
            }
            guard let period = DurationText.parse(newsEvery), period >= .seconds(10) else {
                throw ValidationError("--news-every takes a duration of at least 10s such as 1h, 30m or 90s, got '\(newsEvery)'")
            }
            newsSettings = .init(feeds: feeds, period: period, onJoin: newsOnJoin, maximumPerPost: max(newsMax, 1))
        }
        var schedules: [AnnouncementSchedule] = []
        for (prefix, values) in [("/every", announceEvery), ("/at", announceAt)] {
            for value in values {
                guard let schedule = AnnouncementSchedule.parse(command: "\(prefix) \(value)") else {
                    throw ValidationError("--announce-\(prefix.dropFirst()) takes 'WHEN TEXT', got '\(value)'")
                }
                schedules.append(schedule)
            }
        }
        let group = MultiThreadedEventLoopGroup.singleton
        var configuration = Meeting.Configuration(roomURL: roomURL, name: room.name, outputRoot: output,
                                                  interface: room.interface, say: say, news: newsSettings, schedules: schedules)
        configuration.lossRepair = !noLossRepair
        let meeting = try Meeting(configuration: configuration, group: group, logger: logger)
        var sources: [AsyncStream<String>] = []
        var closeSocket: (@Sendable () async -> Void)?
        if stdinChat { sources.append(ControlInterface.standardInputLines(logger: logger)) }
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
