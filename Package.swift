// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "Logging", package: "swift-log"),
]

let package = Package(
    name: "EngageBot",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "engage-bot", targets: ["Bot"]),
        .executable(name: "engage-fuzz", targets: ["EngageFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // `engage-bot service`: HTTP through Hummingbird (without its swift-configuration trait, to keep the
        // build lean), metrics through swift-metrics with the Prometheus backend.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C shims: only what Swift cannot import directly (macros, variadic calls, C++).
        .target(name: "CEngageOpenSSL", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "CEngageSRTP", linkerSettings: [.linkedLibrary("srtp2")]),
        .target(name: "CEngageVPX", linkerSettings: [.linkedLibrary("vpx")]),
        .target(name: "CEngageOpus", linkerSettings: [.linkedLibrary("opus")]),
        .target(name: "CEngageZlib", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "CEngageFileSync"),
        .target(name: "CEngageChecksum"),
        .target(name: "CEngageReceiveTime"),
        // libwebm's parser (Debian ships no muxer): an independent reader for tests.
        .target(name: "CEngageWebMParser", linkerSettings: [.linkedLibrary("webm")]),

        // The sans-IO WebRTC participant: no sockets, no clocks, no files.
        .target(name: "Mesh", dependencies: ["CEngageOpenSSL", "CEngageSRTP", "CEngageChecksum"], swiftSettings: strict),
        // From RTP frames to WebM files, transcripts and manifests; no networking.
        .target(name: "Recorder", dependencies: ["Mesh"], swiftSettings: strict),
        // The bot's own tile: a slate saying the meeting is recorded, VP8 and Opus encoders, their pacing.
        .target(name: "Tile", dependencies: ["Mesh", "CEngageVPX", "CEngageOpus"], swiftSettings: strict),
        // The edges: UDP sockets, the signalling WebSocket, the runner loop.
        .target(
            name: "MeshIO",
            dependencies: ["Mesh", "CEngageReceiveTime", .product(name: "NIOWebSocket", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl")] + nio,
            swiftSettings: strict),
        // The embedded room server (a Django Channels consumer look-alike) and the room page it serves.
        .target(
            name: "RoomServer",
            dependencies: ["Mesh", .product(name: "NIOWebSocket", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")] + nio,
            swiftSettings: strict),
        // News feeds: the feed model and its parser (RSS, Atom, JSON Feed), pure, no networking.
        .target(name: "NewsFeed", swiftSettings: strict),
        // News feeds: schedule, a thin NIO HTTP client, and the service the bot runs; re-exports NewsFeed.
        .target(
            name: "News",
            dependencies: ["NewsFeed", "CEngageZlib", .product(name: "NIOSSL", package: "swift-nio-ssl")] + nio,
            swiftSettings: strict),
        // What the people running the bot send it, parsed and checked without any I/O: control-socket lines,
        // the service's request bodies and configuration file. Pure, so the fuzz build (no NIO) reaches it.
        .target(name: "OperatorInput", swiftSettings: strict),
        // One run of the bot in one room (signalling, connections, recordings, chat, schedules), shared by
        // every command and by the tests; the executable only parses arguments.
        .target(
            name: "MeetingKit",
            dependencies: ["Mesh", "MeshIO", "Recorder", "Tile", "News", "OperatorInput", "CEngageFileSync"] + nio,
            swiftSettings: strict),
        // Recording as a service: many meetings in one process, driven over an HTTP API (docs/api.md).
        .target(
            name: "RecordingService",
            dependencies: [
                "MeetingKit", "Mesh", "MeshIO", "Recorder", "News", "OperatorInput",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ] + nio,
            resources: [.copy("API/openapi.json")],
            swiftSettings: strict),
        .executableTarget(
            name: "Bot",
            dependencies: [
                "MeetingKit", "RecordingService", "Mesh", "MeshIO", "Recorder", "Tile", "News", "RoomServer", "OperatorInput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + nio,
            swiftSettings: strict),
        // Measures the tile's encode cost per frame; reads a clock, so it lives outside the library and its tests.
        .executableTarget(name: "TileBench", dependencies: ["Tile", "Mesh"], swiftSettings: strict),

        // Fuzzing (scripts/fuzz.sh): every parser a peer or a server reaches, and the state machines behind
        // them, as functions of arbitrary bytes; corpora in Fuzz/Corpus.
        .target(name: "FuzzTargets", dependencies: ["Mesh", "Recorder", "NewsFeed", "OperatorInput"], swiftSettings: strict),
        // libFuzzer's entry point, declared only: the sanitized build links libFuzzer, the normal one never calls it.
        .target(name: "CEngageFuzzer"),
        // `engage-fuzz TARGET [FILE...]`: replays inputs through a target; built with -DFUZZING it runs libFuzzer.
        .executableTarget(name: "EngageFuzz", dependencies: ["FuzzTargets", "CEngageFuzzer"], swiftSettings: strict),

        .testTarget(name: "MeshTests", dependencies: ["Mesh", "CEngageOpenSSL", "CEngageChecksum"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "RecorderTests", dependencies: ["Recorder", "Mesh", "CEngageWebMParser", "CEngageOpus"], swiftSettings: strict),
        // Test support shared by test targets: judging recordings by decoding them (flash and beep onsets).
        .target(name: "MediaInspection", path: "Tests/MediaInspection", swiftSettings: strict),
        .testTarget(name: "TileTests", dependencies: ["Tile", "Mesh", "Recorder", "MediaInspection"], swiftSettings: strict),
        // Our own sender to our own recorder through an emulated network, judged by decoding the file.
        .testTarget(name: "EndToEndTests", dependencies: ["Tile", "Mesh", "Recorder"], swiftSettings: strict),
        .testTarget(
            name: "RoomServerTests",
            dependencies: ["RoomServer", "Mesh", .product(name: "NIOWebSocket", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")] + nio,
            swiftSettings: strict),
        .testTarget(name: "NewsTests", dependencies: ["News", "NewsFeed", "CEngageZlib"] + nio, swiftSettings: strict),
        // Every committed fuzz corpus input, replayed through its target in the normal (unsanitized) build.
        .testTarget(name: "FuzzTargetTests", dependencies: ["FuzzTargets"], swiftSettings: strict),
        // Bot: the pure parts of subcommands (schedules, check's report model and writers) are unit-tested.
        .testTarget(name: "BotTests", dependencies: ["Bot", "MeetingKit", "RecordingService", "Mesh", "MeshIO", "Recorder", "MediaInspection",
                                                     "OperatorInput"],
                    swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
