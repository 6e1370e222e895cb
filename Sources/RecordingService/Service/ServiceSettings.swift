import Foundation
import OperatorInput

extension ServiceSettings {
    /// The configuration these settings describe, defaults filled in, or the first thing wrong with them.
    public func resolved() throws(ServiceSettingsError) -> ServiceConfiguration {
        let host = host ?? "127.0.0.1"
        let token = token.flatMap { $0.isEmpty ? nil : $0 }
        if !ServiceConfiguration.isLoopback(host) && token == nil {
            throw ServiceSettingsError("host \(host) accepts connections from other machines: set a token "
                + "(--token, ENGAGE_BOT_TOKEN or the file's token)")
        }
        let port = port ?? 8080
        guard (0...65_535).contains(port) else { throw ServiceSettingsError("port takes 0 to 65535, got \(port)") }
        let maxRecordings = maxRecordings ?? 20, maxParticipants = maxParticipants ?? 200
        guard maxRecordings > 0, maxParticipants > 0 else {
            throw ServiceSettingsError("max_recordings and max_participants must be positive")
        }
        let grace = grace ?? 20
        guard grace > 0, grace <= 3_600 else { throw ServiceSettingsError("grace takes 0 to 3600 seconds, got \(grace)") }
        var webhook: URL?
        if let webhookURL {
            guard let url = Self.httpURL(webhookURL) else {
                throw ServiceSettingsError("webhook_url needs an http or https URL, got '\(webhookURL)'")
            }
            guard !(webhookSecret ?? "").isEmpty else {
                throw ServiceSettingsError("webhook_url needs a webhook secret (--webhook-secret, "
                    + "ENGAGE_BOT_WEBHOOK_SECRET or the file's webhook_secret) to sign deliveries")
            }
            webhook = url
        }
        return ServiceConfiguration(
            host: host, port: port, bearerToken: token, outputRoot: output ?? "recordings", interface: interface ?? "127.0.0.1",
            defaultBotName: name ?? "EngageBot",
            admission: AdmissionControl(maximumRecordings: maxRecordings, maximumParticipants: maxParticipants),
            gracePeriod: .milliseconds(Int64(grace * 1000)), webhookURL: webhook, webhookSecret: webhookSecret,
            onFinalized: onFinalized, upload: try uploadDestination())
    }

    /// The bucket, or nil without an S3 endpoint.
    private func uploadDestination() throws(ServiceSettingsError) -> S3Destination? {
        guard let s3Endpoint else { return nil }
        guard let endpoint = Self.httpURL(s3Endpoint) else {
            throw ServiceSettingsError("s3_endpoint needs an http or https URL, got '\(s3Endpoint)'")
        }
        guard let bucket = s3Bucket, !bucket.isEmpty else { throw ServiceSettingsError("s3_endpoint needs s3_bucket") }
        guard let accessKey = s3AccessKeyID, !accessKey.isEmpty, let secretKey = s3SecretAccessKey, !secretKey.isEmpty else {
            throw ServiceSettingsError("s3_endpoint needs credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the "
                + "environment, or the file's s3_access_key_id and s3_secret_access_key")
        }
        let partMiB = s3PartMiB ?? 8
        // Fractions are allowed: some S3-compatible servers take parts below AWS's 5 MiB minimum.
        guard partMiB > 0, partMiB <= 5_000 else { throw ServiceSettingsError("s3_part_mib takes 0 to 5000, got \(partMiB)") }
        return S3Destination(endpoint: endpoint, bucket: bucket, region: s3Region ?? "us-east-1", prefix: s3Prefix ?? "",
                             credentials: .init(accessKey: accessKey, secretKey: secretKey,
                                                sessionToken: s3SessionToken.flatMap { $0.isEmpty ? nil : $0 }),
                             partSize: max(1, Int(partMiB * 1_048_576)))
    }
}
