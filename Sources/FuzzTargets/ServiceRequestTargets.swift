import Foundation
import OperatorInput

/// The body of `POST /v1/recordings` as any caller holding the token sends it (at most 64 KiB, decoded as the
/// router decodes it), checked as the service checks it before starting a recording; and `POST …/chat`'s.
/// Neither may trap, and what the check lets through is within the API's limits. The room URL has its own
/// target (`room-url`).
enum RecordingRequestTarget {
    static let target = FuzzTarget(name: "recording-request", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        let body = Data(bytes.prefix(64 * 1024))
        _ = try? JSONDecoder().decode(ChatRequest.self, from: body)
        guard let request = try? JSONDecoder().decode(RecordingRequest.self, from: body),
              let checked = try? request.checked(defaultBotName: "EngageBot") else { return }
        RoundTrip.require((1...64).contains(checked.botName.count), "recording-request: bot name \(checked.botName.count)")
        RoundTrip.require(checked.announcements.count <= 20 && checked.metadata.count <= 32, "recording-request: too many")
        if let maximum = checked.maximumDuration {
            RoundTrip.require(maximum > .zero && maximum <= .seconds(86_400), "recording-request: max_duration \(maximum)")
        }
        if let news = checked.news {
            RoundTrip.require((1...20).contains(news.feeds.count) && news.period >= .seconds(10)
                && (1...20).contains(news.maximumPerPost), "recording-request: news \(news)")
        }
    }

    static func seeds() -> [[UInt8]] {
        [
            #"{"room_url":"https://rooms.example/standup"}"#,
            #"{"room_url":"ws://127.0.0.1:8000/ws/r","bot_name":"Recorder","max_duration":3600.5,"#
                + #""announcements":["Recording starts","Be nice"],"metadata":{"ticket":"T-1","team":"a"}}"#,
            #"{"room_url":"wss://x/y","news":{"feeds":["https://news.example/rss","http://b/atom"],"#
                + #""every":"1h30m","on_join":true,"max_items":7}}"#,
            #"{"room_url":"http://r/","bot_name":"","max_duration":-1,"news":{"feeds":[],"every":"9223372036854775807h"}}"#,
            #"{"text":"hello from the API"}"#,
        ].map { Array($0.utf8) }
    }
}

/// `engage-bot service --config FILE`: the file as `ServiceSettings` reads it (one JSON object of known
/// keys). Settings that parse must survive being written back as JSON and read again, and layering them
/// over themselves or the environment's must not change what they say.
enum ServiceSettingsTarget {
    static let target = FuzzTarget(name: "service-settings", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        guard let settings = try? ServiceSettings.parse(Data(bytes), source: "fuzz.json") else { return }
        let written = try? JSONEncoder().encode(settings)
        RoundTrip.require(settings, written.flatMap { try? ServiceSettings.parse($0, source: "written.json") }, "service settings")
        RoundTrip.require(settings.overridden(by: settings) == settings, "service settings: overriding by itself changed them")
        RoundTrip.require(settings.overridden(by: ServiceSettings()) == settings, "service settings: overriding by nothing changed them")
        _ = settings.withEnvironment(["ENGAGE_BOT_TOKEN": settings.name ?? "", "AWS_ACCESS_KEY_ID": settings.token ?? "x"])
        for url in [settings.webhookURL, settings.s3Endpoint].compactMap({ $0 }) { _ = ServiceSettings.httpURL(url) }
    }

    static func seeds() -> [[UInt8]] {
        [
            #"{"host":"0.0.0.0","port":8080,"token":"secret","output":"/var/rec","max_recordings":4,"#
                + #""max_participants":100,"grace":12.5,"log_level":"info"}"#,
            #"{"webhook_url":"https://hooks.example/engage","webhook_secret":"s","on_finalized":"echo done","#
                + #""s3_endpoint":"http://127.0.0.1:9000","s3_bucket":"rec","s3_region":"eu-west-1","s3_prefix":"a/","#
                + #""s3_part_mib":5.5,"s3_access_key_id":"AK","s3_secret_access_key":"SK","s3_session_token":"T"}"#,
            #"{"port":"eighty","unknown":1}"#,
            #"{}"#,
            #"[1,2,3]"#,
        ].map { Array($0.utf8) }
    }
}
