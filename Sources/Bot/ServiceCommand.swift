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

    @Option(help: "Upload every finished file to this S3-compatible endpoint (e.g. https://s3.eu-west-1.amazonaws.com); needs --s3-bucket and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN if temporary) in the environment.")
    var s3Endpoint: String?

    @Option(help: "The bucket uploads go to (path-style addressing).")
    var s3Bucket: String?

    @Option(help: "The bucket's region, for request signing.")
    var s3Region = "us-east-1"

    @Option(help: "Put before every object key (the key is the file's path under --output).")
    var s3Prefix = ""

    @Option(name: .customLong("s3-part-mib"),
            help: "Files larger than this many MiB go up in parts of this size (AWS needs at least 5).")
    var s3PartMiB: Double = 8

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
        _ = try uploadDestination()
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

    /// The bucket from the options and the environment's credentials; nil without --s3-endpoint.
    private func uploadDestination() throws -> S3Destination? {
        guard let s3Endpoint else { return nil }
        guard let endpoint = URL(string: s3Endpoint), let scheme = endpoint.scheme?.lowercased(),
              scheme == "http" || scheme == "https", endpoint.host != nil else {
            throw ValidationError("--s3-endpoint needs an http or https URL, got '\(s3Endpoint)'")
        }
        guard let bucket = s3Bucket, !bucket.isEmpty else { throw ValidationError("--s3-endpoint needs --s3-bucket") }
        let environment = ProcessInfo.processInfo.environment
        guard let accessKey = environment["AWS_ACCESS_KEY_ID"], !accessKey.isEmpty,
              let secretKey = environment["AWS_SECRET_ACCESS_KEY"], !secretKey.isEmpty else {
            throw ValidationError("--s3-endpoint needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
        }
        // Fractions are allowed: some S3-compatible servers take parts below AWS's 5 MiB minimum.
        guard s3PartMiB > 0, s3PartMiB <= 5_000 else { throw ValidationError("--s3-part-mib takes 0 to 5000") }
        return S3Destination(endpoint: endpoint, bucket: bucket, region: s3Region, prefix: s3Prefix,
                             credentials: .init(accessKey: accessKey, secretKey: secretKey,
                                                sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }),
                             partSize: Int(s3PartMiB * 1_048_576))
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
                onFinalized: onFinalized, upload: try uploadDestination()),
            logger: logger)
    }
}
