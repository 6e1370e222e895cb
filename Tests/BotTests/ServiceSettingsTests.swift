import Foundation
@testable import OperatorInput
@testable import RecordingService
import Testing

/// `engage-bot service --config FILE`: the file's settings, the environment's secrets and the command line,
/// layered in that order and checked together.
@Suite struct ServiceSettingsTests {
    private func settings(_ json: String) throws -> ServiceSettings {
        try ServiceSettings.parse(Data(json.utf8), source: "service.json")
    }

    @Test func everySettingOfTheFileIsRead() throws {
        let file = try settings("""
            {"host": "0.0.0.0", "port": 9090, "token": "file-token", "output": "/srv/recordings", "interface": "10.0.0.2",
             "name": "Recorder", "max_recordings": 4, "max_participants": 40, "grace": 5.5,
             "webhook_url": "https://app.example/hooks", "webhook_secret": "s3cret", "on_finalized": "true",
             "s3_endpoint": "http://127.0.0.1:9000", "s3_bucket": "meetings", "s3_region": "eu-west-1", "s3_prefix": "rec/",
             "s3_part_mib": 16, "s3_access_key_id": "AK", "s3_secret_access_key": "SK", "s3_session_token": "ST",
             "log_level": "debug"}
            """)
        let configuration = try file.resolved()
        #expect(configuration.host == "0.0.0.0" && configuration.port == 9090 && configuration.bearerToken == "file-token")
        #expect(configuration.outputRoot == "/srv/recordings" && configuration.interface == "10.0.0.2")
        #expect(configuration.defaultBotName == "Recorder")
        #expect(configuration.admission == AdmissionControl(maximumRecordings: 4, maximumParticipants: 40))
        #expect(configuration.gracePeriod == .milliseconds(5_500))
        #expect(configuration.webhookURL?.absoluteString == "https://app.example/hooks" && configuration.webhookSecret == "s3cret")
        #expect(configuration.onFinalized == "true")
        let upload = try #require(configuration.upload)
        #expect(upload.endpoint.absoluteString == "http://127.0.0.1:9000" && upload.bucket == "meetings")
        #expect(upload.region == "eu-west-1" && upload.prefix == "rec/" && upload.partSize == 16 << 20)
        #expect(upload.credentials.accessKey == "AK" && upload.credentials.secretKey == "SK" && upload.credentials.sessionToken == "ST")
        #expect(file.logLevel == "debug")
    }

    @Test func nothingGivenMeansTheDocumentedDefaults() throws {
        let configuration = try settings("{}").resolved()
        #expect(configuration.host == "127.0.0.1" && configuration.port == 8080 && configuration.bearerToken == nil)
        #expect(configuration.outputRoot == "recordings" && configuration.defaultBotName == "EngageBot")
        #expect(configuration.admission == AdmissionControl(maximumRecordings: 20, maximumParticipants: 200))
        #expect(configuration.gracePeriod == .seconds(20))
        #expect(configuration.webhookURL == nil && configuration.upload == nil && configuration.onFinalized == nil)
    }

    @Test func theCommandLineWinsOverTheEnvironmentWhichWinsOverTheFile() throws {
        let file = try settings(#"{"port": 9090, "token": "file", "webhook_secret": "file", "s3_access_key_id": "file"}"#)
        let environment = ["ENGAGE_BOT_TOKEN": "environment", "AWS_ACCESS_KEY_ID": "environment", "ENGAGE_BOT_WEBHOOK_SECRET": ""]
        var commandLine = ServiceSettings()
        commandLine.token = "command-line"
        let merged = file.withEnvironment(environment).overridden(by: commandLine)
        #expect(merged.port == 9090)
        #expect(merged.token == "command-line")
        #expect(merged.s3AccessKeyID == "environment")
        // An empty variable is not a setting: the file's secret stays.
        #expect(merged.webhookSecret == "file")
    }

    @Test func aMisspeltSettingIsAnErrorNamingIt() throws {
        let error = #expect(throws: ServiceSettingsError.self) { try settings(#"{"max_recording": 3}"#) }
        #expect(error?.description.contains("unknown setting(s) max_recording") == true, "\(String(describing: error))")
    }

    @Test func malformedFilesAreErrorsNotCrashes() throws {
        for text in ["", "[1, 2]", "{\"port\": \"eighty\"}", "{\"port\": 1e300}", "{\"port\": 80.5}",
                     "\u{FEFF}{", String(repeating: "[", count: 100_000)] {
            #expect(throws: ServiceSettingsError.self, "\(text.prefix(40))") { _ = try settings(text).resolved() }
        }
        let wrongType = #expect(throws: ServiceSettingsError.self) { try settings(#"{"port": "eighty"}"#) }
        #expect(wrongType?.description.contains("port needs a number") == true, "\(String(describing: wrongType))")
    }

    @Test func settingsThatContradictEachOtherAreRefused() throws {
        let cases: [(String, String)] = [
            (#"{"host": "0.0.0.0"}"#, "set a token"),
            (#"{"port": 70000}"#, "port takes 0 to 65535"),
            (#"{"max_recordings": 0}"#, "must be positive"),
            (#"{"grace": 0}"#, "grace takes"),
            (#"{"webhook_url": "https://app.example/hooks"}"#, "needs a webhook secret"),
            (#"{"webhook_url": "ftp://app.example", "webhook_secret": "x"}"#, "http or https"),
            (#"{"s3_endpoint": "http://127.0.0.1:9000"}"#, "needs s3_bucket"),
            (#"{"s3_endpoint": "http://127.0.0.1:9000", "s3_bucket": "b"}"#, "needs credentials"),
            (#"{"s3_endpoint": "http://127.0.0.1:9000", "s3_bucket": "b", "s3_access_key_id": "a", "s3_secret_access_key": "s", "s3_part_mib": -1}"#,
             "s3_part_mib takes"),
        ]
        for (json, message) in cases {
            let error = #expect(throws: ServiceSettingsError.self, "\(json)") { _ = try settings(json).resolved() }
            #expect(error?.description.contains(message) == true, "\(json): \(String(describing: error))")
        }
    }

    @Test func aFileTooLargeOrMissingIsAnError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("engage-settings-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = #expect(throws: ServiceSettingsError.self) { try ServiceSettings.load(path: folder.appendingPathComponent("none.json").path) }
        #expect(missing?.description.contains("cannot read") == true)
        let huge = folder.appendingPathComponent("huge.json")
        try Data(repeating: 0x20, count: ServiceSettings.largestFile + 1).write(to: huge)
        let tooLarge = #expect(throws: ServiceSettingsError.self) { try ServiceSettings.load(path: huge.path) }
        #expect(tooLarge?.description.contains("larger than") == true)
        let good = folder.appendingPathComponent("good.json")
        try Data(#"{"port": 0, "name": "Filed"}"#.utf8).write(to: good)
        #expect(try ServiceSettings.load(path: good.path).name == "Filed")
    }
}
