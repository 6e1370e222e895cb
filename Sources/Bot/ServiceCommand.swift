import ArgumentParser
import Foundation
import RecordingService

/// `engage-bot service`: records any room on request over an HTTP API (docs/api.md).
struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "Record rooms on request: an HTTP API under /v1, many rooms per process (docs/api.md).",
        discussion: "SIGTERM or SIGINT drains: no new recordings, every recording leaves and finalizes its files within --grace seconds."
    )

    @Option(help: "The address to listen on; any other than loopback needs --token.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one; the log says which).")
    var port = 8080

    @Option(help: "Bearer token every request but /healthz and /readyz must carry (default: $ENGAGE_BOT_TOKEN).")
    var token: String?

    @Option(help: "The folder that receives one folder per recording.")
    var output = "recordings"

    @Option(help: "The address the bot's WebRTC connections bind to.")
    var interface = "127.0.0.1"

    @Option(help: "The bot's name when a request gives none.")
    var name = "EngageBot"

    @Option(help: "At most this many recordings at once; more get 503.")
    var maxRecordings = 20

    @Option(help: "At most this many participants recorded at once, over all recordings; more get 503.")
    var maxParticipants = 200

    @Option(help: "Seconds SIGTERM waits for recordings to finish.")
    var grace: Double = 20

    @Option(help: "POST webhook events here (docs/api.md); needs --webhook-secret.")
    var webhookURL: String?

    @Option(help: "The secret that signs webhook deliveries (default: $ENGAGE_BOT_WEBHOOK_SECRET).")
    var webhookSecret: String?

    @Option(help: "A shell command run for every finished file (ENGAGE_FILE, ENGAGE_FILE_KIND, ENGAGE_RECORDING_ID, ENGAGE_PARTICIPANT in its environment).")
    var onFinalized: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func validate() throws {
        let token = token ?? ProcessInfo.processInfo.environment["ENGAGE_BOT_TOKEN"]
        if !ServiceConfiguration.isLoopback(host) && (token ?? "").isEmpty {
            throw ValidationError("--host \(host) accepts connections from other machines: set --token (or ENGAGE_BOT_TOKEN)")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port takes 0 to 65535") }
        guard maxRecordings > 0, maxParticipants > 0 else { throw ValidationError("the budgets must be positive") }
        guard grace > 0, grace <= 3_600 else { throw ValidationError("--grace takes 0 to 3600 seconds") }
        if let webhookURL {
            guard let url = URL(string: webhookURL), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  url.host != nil else {
                throw ValidationError("--webhook-url needs an http or https URL, got '\(webhookURL)'")
            }
            guard !(webhookSecret ?? ProcessInfo.processInfo.environment["ENGAGE_BOT_WEBHOOK_SECRET"] ?? "").isEmpty else {
                throw ValidationError("--webhook-url needs --webhook-secret (or ENGAGE_BOT_WEBHOOK_SECRET) to sign deliveries")
            }
        }
    }

    func run() async throws {
        let logger = BotLogging.bootstrap(level: logLevel)
        let token = (token ?? ProcessInfo.processInfo.environment["ENGAGE_BOT_TOKEN"]).flatMap { $0.isEmpty ? nil : $0 }
        try await RecordingServer.run(
            configuration: ServiceConfiguration(
                host: host, port: port, bearerToken: token, outputRoot: output, interface: interface, defaultBotName: name,
                admission: AdmissionControl(maximumRecordings: maxRecordings, maximumParticipants: maxParticipants),
                gracePeriod: .milliseconds(Int64(grace * 1000)),
                webhookURL: webhookURL.flatMap(URL.init(string:)),
                webhookSecret: webhookSecret ?? ProcessInfo.processInfo.environment["ENGAGE_BOT_WEBHOOK_SECRET"],
                onFinalized: onFinalized),
            logger: logger)
    }
}
