import Foundation

/// How `engage-bot service` runs: where it listens, who may call it, where files go, how much it takes on.
public struct ServiceConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Required on every request but the health probes when set; required when `host` is not loopback.
    public var bearerToken: String?
    /// Each recording writes under `<outputRoot>/<recording id>/`.
    public var outputRoot: String
    /// The address the bot's WebRTC connections bind to.
    public var interface: String
    /// The default bot name when a request gives none.
    public var defaultBotName: String
    public var admission: AdmissionControl
    /// How long SIGTERM waits for recordings to finish (leave, finalize) before the process exits.
    public var gracePeriod: Duration
    /// Where webhook events are POSTed (docs/api.md, Webhooks); nil sends none.
    public var webhookURL: URL?
    /// The shared secret that signs every delivery; required with `webhookURL`.
    public var webhookSecret: String?
    /// A shell command run for every finished file (`FinalizedFileHook`); nil runs none.
    public var onFinalized: String?
    /// The bucket every finished file is uploaded to (`Uploads`); nil uploads nothing.
    public var upload: S3Destination?
    /// Pending webhook deliveries, kept across restarts.
    public var outboxDirectory: String { (outputRoot as NSString).appendingPathComponent(".webhook-outbox") }

    public init(host: String = "127.0.0.1", port: Int = 8080, bearerToken: String? = nil, outputRoot: String = "recordings",
                interface: String = "127.0.0.1", defaultBotName: String = "EngageBot",
                admission: AdmissionControl = AdmissionControl(), gracePeriod: Duration = .seconds(20),
                webhookURL: URL? = nil, webhookSecret: String? = nil, onFinalized: String? = nil,
                upload: S3Destination? = nil) {
        self.onFinalized = onFinalized
        self.upload = upload
        self.webhookURL = webhookURL
        self.webhookSecret = webhookSecret
        self.host = host
        self.port = port
        self.bearerToken = bearerToken
        self.outputRoot = outputRoot
        self.interface = interface
        self.defaultBotName = defaultBotName
        self.admission = admission
        self.gracePeriod = gracePeriod
    }

    /// Whether `host` only accepts connections from this machine.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
