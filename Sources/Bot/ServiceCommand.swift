import ArgumentParser
import Foundation
import OperatorInput
import RecordingService

/// `engage-bot service`: records any room on request over an HTTP API (docs/api.md).
struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "Record rooms on request: an HTTP API under /v1, many rooms per process (docs/api.md).",
        discussion: "SIGTERM or SIGINT drains: no new recordings, every recording leaves and finalizes its files within --grace seconds."
    )

    @Option(help: "A JSON file of settings (docs/api.md, Configuration): each option's name with _ for -, plus the S3 credentials. Options given here win over the environment, which wins over the file.")
    var config: String?

    @Option(help: "The address to listen on; any other than loopback needs a token. (default: 127.0.0.1)")
    var host: String?

    @Option(help: "The port to listen on (0 picks a free one; the log says which). (default: 8080)")
    var port: Int?

    @Option(help: "Bearer token every request but /healthz and /readyz must carry (or $ENGAGE_BOT_TOKEN).")
    var token: String?

    @Option(help: "The folder that receives one folder per recording. (default: recordings)")
    var output: String?

    @Option(help: "The address the bot's WebRTC connections bind to. (default: 127.0.0.1)")
    var interface: String?

    @Option(help: "The bot's name when a request gives none. (default: EngageBot)")
    var name: String?

    @Option(help: "At most this many recordings at once; more get 503. (default: 20)")
    var maxRecordings: Int?

    @Option(help: "At most this many participants recorded at once, over all recordings; more get 503. (default: 200)")
    var maxParticipants: Int?

    @Option(help: "Seconds SIGTERM waits for recordings to finish. (default: 20)")
    var grace: Double?

    @Option(help: "POST webhook events here (docs/api.md); needs a webhook secret.")
    var webhookURL: String?

    @Option(help: "The secret that signs webhook deliveries (or $ENGAGE_BOT_WEBHOOK_SECRET).")
    var webhookSecret: String?

    @Option(help: "A shell command run for every finished file (ENGAGE_FILE, ENGAGE_FILE_KIND, ENGAGE_RECORDING_ID, ENGAGE_PARTICIPANT in its environment).")
    var onFinalized: String?

    @Option(help: "Upload every finished file to this S3-compatible endpoint (e.g. https://s3.eu-west-1.amazonaws.com); needs --s3-bucket and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN if temporary) in the environment or the configuration file.")
    var s3Endpoint: String?

    @Option(help: "The bucket uploads go to (path-style addressing).")
    var s3Bucket: String?

    @Option(help: "The bucket's region, for request signing. (default: us-east-1)")
    var s3Region: String?

    @Option(help: "Put before every object key (the key is the file's path under --output).")
    var s3Prefix: String?

    @Option(name: .customLong("s3-part-mib"),
            help: "Files larger than this many MiB go up in parts of this size (AWS needs at least 5). (default: 8)")
    var s3PartMiB: Double?

    @Option(help: "Log level: trace, debug, info, notice, warning, error. (default: info)")
    var logLevel: String?

    /// The command line's settings, nil where an option was not given.
    private var commandLine: ServiceSettings {
        var settings = ServiceSettings()
        settings.host = host
        settings.port = port
        settings.token = token
        settings.output = output
        settings.interface = interface
        settings.name = name
        settings.maxRecordings = maxRecordings
        settings.maxParticipants = maxParticipants
        settings.grace = grace
        settings.webhookURL = webhookURL
        settings.webhookSecret = webhookSecret
        settings.onFinalized = onFinalized
        settings.s3Endpoint = s3Endpoint
        settings.s3Bucket = s3Bucket
        settings.s3Region = s3Region
        settings.s3Prefix = s3Prefix
        settings.s3PartMiB = s3PartMiB
        settings.logLevel = logLevel
        return settings
    }

    /// File, then environment, then command line, each replacing what the one before gave.
    private func settings() throws -> ServiceSettings {
        do {
            let file = try config.map { path throws(ServiceSettingsError) in try ServiceSettings.load(path: path) } ?? ServiceSettings()
            return file.withEnvironment(ProcessInfo.processInfo.environment).overridden(by: commandLine)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func validate() throws {
        do {
            _ = try settings().resolved()
        } catch let error as ServiceSettingsError {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let settings = try settings()
        let logger = BotLogging.bootstrap(level: settings.logLevel ?? "info")
        try await RecordingServer.run(configuration: try settings.resolved(), logger: logger)
    }
}
