import Foundation

/// Every setting of `engage-bot service`, each optional, as the command line or a configuration file gives it
/// (docs/api.md, Configuration). `resolved(environment:)` layers them: command line over environment over file
/// over the defaults, checks them together and builds the `ServiceConfiguration` the server runs with.
public struct ServiceSettings: Codable, Sendable, Equatable {
    public var host: String?
    public var port: Int?
    public var token: String?
    public var output: String?
    public var interface: String?
    public var name: String?
    public var maxRecordings: Int?
    public var maxParticipants: Int?
    public var grace: Double?
    public var webhookURL: String?
    public var webhookSecret: String?
    public var onFinalized: String?
    public var s3Endpoint: String?
    public var s3Bucket: String?
    public var s3Region: String?
    public var s3Prefix: String?
    public var s3PartMiB: Double?
    public var s3AccessKeyID: String?
    public var s3SecretAccessKey: String?
    public var s3SessionToken: String?
    public var logLevel: String?

    /// The file's keys: each command-line option's name with `_` for `-` (the S3 credentials have no option).
    enum CodingKeys: String, CodingKey, CaseIterable {
        case host, port, token, output, interface, name
        case maxRecordings = "max_recordings", maxParticipants = "max_participants", grace
        case webhookURL = "webhook_url", webhookSecret = "webhook_secret", onFinalized = "on_finalized"
        case s3Endpoint = "s3_endpoint", s3Bucket = "s3_bucket", s3Region = "s3_region", s3Prefix = "s3_prefix"
        case s3PartMiB = "s3_part_mib", s3AccessKeyID = "s3_access_key_id", s3SecretAccessKey = "s3_secret_access_key"
        case s3SessionToken = "s3_session_token", logLevel = "log_level"
    }

    public init() {}

    /// A configuration file is JSON text of at most this many bytes; anything larger is not one.
    static let largestFile = 1 << 20

    /// Reads a configuration file: one JSON object whose keys are `CodingKeys`. An unknown key is an error
    /// (a misspelt setting would otherwise silently keep its default).
    public static func load(path: String) throws(ServiceSettingsError) -> ServiceSettings {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: largestFile + 1) ?? Data()
        } catch {
            throw ServiceSettingsError("cannot read the configuration file \(path): \(error.localizedDescription)")
        }
        guard data.count <= largestFile else {
            throw ServiceSettingsError("the configuration file \(path) is larger than \(largestFile) bytes")
        }
        return try parse(data, source: path)
    }

    package static func parse(_ data: Data, source: String) throws(ServiceSettingsError) -> ServiceSettings {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ServiceSettingsError("\(source) is not a JSON object")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        let unknown = object.keys.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw ServiceSettingsError("\(source): unknown setting(s) \(unknown.joined(separator: ", ")); "
                + "known: \(known.sorted().joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(ServiceSettings.self, from: data)
        } catch let DecodingError.typeMismatch(type, context), let DecodingError.valueNotFound(type, context) {
            let key = context.codingPath.first?.stringValue ?? "?"
            throw ServiceSettingsError("\(source): \(key) needs a \(type == String.self ? "string" : "number")")
        } catch {
            throw ServiceSettingsError("\(source): \(error)")
        }
    }

    /// These settings with every setting `other` gives replacing this one's.
    public func overridden(by other: ServiceSettings) -> ServiceSettings {
        var merged = self
        merged.host = other.host ?? host
        merged.port = other.port ?? port
        merged.token = other.token ?? token
        merged.output = other.output ?? output
        merged.interface = other.interface ?? interface
        merged.name = other.name ?? name
        merged.maxRecordings = other.maxRecordings ?? maxRecordings
        merged.maxParticipants = other.maxParticipants ?? maxParticipants
        merged.grace = other.grace ?? grace
        merged.webhookURL = other.webhookURL ?? webhookURL
        merged.webhookSecret = other.webhookSecret ?? webhookSecret
        merged.onFinalized = other.onFinalized ?? onFinalized
        merged.s3Endpoint = other.s3Endpoint ?? s3Endpoint
        merged.s3Bucket = other.s3Bucket ?? s3Bucket
        merged.s3Region = other.s3Region ?? s3Region
        merged.s3Prefix = other.s3Prefix ?? s3Prefix
        merged.s3PartMiB = other.s3PartMiB ?? s3PartMiB
        merged.s3AccessKeyID = other.s3AccessKeyID ?? s3AccessKeyID
        merged.s3SecretAccessKey = other.s3SecretAccessKey ?? s3SecretAccessKey
        merged.s3SessionToken = other.s3SessionToken ?? s3SessionToken
        merged.logLevel = other.logLevel ?? logLevel
        return merged
    }

    /// The secrets the environment may give: they replace the file's (the command line still wins, by being
    /// applied after this).
    public func withEnvironment(_ environment: [String: String]) -> ServiceSettings {
        var fromEnvironment = ServiceSettings()
        let value = { (key: String) in environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        fromEnvironment.token = value("ENGAGE_BOT_TOKEN")
        fromEnvironment.webhookSecret = value("ENGAGE_BOT_WEBHOOK_SECRET")
        fromEnvironment.s3AccessKeyID = value("AWS_ACCESS_KEY_ID")
        fromEnvironment.s3SecretAccessKey = value("AWS_SECRET_ACCESS_KEY")
        fromEnvironment.s3SessionToken = value("AWS_SESSION_TOKEN")
        return overridden(by: fromEnvironment)
    }

    /// `text` as an absolute http or https URL with a host, or nil.
    package static func httpURL(_ text: String) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil else { return nil }
        return url
    }
}

/// A setting that is missing, malformed or contradicts another; the message names it.
public struct ServiceSettingsError: Error, CustomStringConvertible, Sendable {
    public var description: String
    package init(_ description: String) { self.description = description }
}
