// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "EngageBot",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "engage-bot", targets: ["Bot"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // C shims: only what Swift cannot import directly (macros, callbacks, C++).
        .target(
            name: "CEngageOpenSSL",
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        .target(
            name: "CEngageSRTP",
            linkerSettings: [.linkedLibrary("srtp2")]
        ),
        // libwebm's parser (Debian ships no muxer): an independent reader for tests.
        .target(
            name: "CEngageWebMParser",
            linkerSettings: [.linkedLibrary("webm")]
        ),

        // The sans-IO WebRTC participant: no sockets, no clocks, no files.
        .target(
            name: "Mesh",
            dependencies: ["CEngageOpenSSL", "CEngageSRTP"],
            swiftSettings: strict
        ),
        // From RTP frames to WebM files, transcripts and manifests; no networking.
        .target(
            name: "Recorder",
            dependencies: ["Mesh"],
            swiftSettings: strict
        ),
        // The edges: UDP sockets, the signalling WebSocket, the runner loop.
        .target(
            name: "MeshIO",
            dependencies: [
                "Mesh",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "Bot",
            dependencies: [
                "Mesh", "MeshIO", "Recorder",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "MeshTests", dependencies: ["Mesh"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "RecorderTests", dependencies: ["Recorder", "Mesh", "CEngageWebMParser"], swiftSettings: strict),
        .testTarget(name: "BotTests", dependencies: ["Mesh", "MeshIO"], swiftSettings: strict),

        // The embedded room server (a Django Channels consumer look-alike) and the room page it serves.
        .target(
            name: "RoomServer",
            dependencies: [
                "Mesh",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RoomServerTests",
            dependencies: [
                "RoomServer", "Mesh",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
