import Logging
import Mesh
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

public struct RoomServerConfiguration: Sendable, Equatable {
    public var host: String
    /// 0 binds an ephemeral port; `RunningRoomServer.port` says which.
    public var port: Int
    /// Every path joins one room, as the original Django server does; otherwise each path is its own room.
    public var singleRoom: Bool
    public var limits: RoomRelay.Limits
    /// Bytes queued for one slow client before it is disconnected.
    public var writeHighWaterMark: Int
    /// Server pings this often; a client silent for two whole intervals is closed. Nil: no pings.
    public var pingInterval: TimeAmount?

    public init(host: String = "127.0.0.1", port: Int = 8000, singleRoom: Bool = false,
                limits: RoomRelay.Limits = RoomRelay.Limits(), writeHighWaterMark: Int = 4 << 20,
                pingInterval: TimeAmount? = .seconds(20)) {
        self.host = host
        self.port = port
        self.singleRoom = singleRoom
        self.limits = limits
        self.writeHighWaterMark = writeHighWaterMark
        self.pingInterval = pingInterval
    }
}

/// A bound, serving room server.
public struct RunningRoomServer: Sendable {
    public let host: String
    public let port: Int
    let channel: any Channel
    let hub: RoomHub

    /// The room page's address, for logs and browsers.
    public var url: String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/"
    }

    /// Stops accepting, closes every client, and returns once the listening socket is closed.
    public func shutdown() async throws {
        hub.closeAll()
        do {
            try await channel.close()
        } catch ChannelError.alreadyClosed {
            return
        }
    }

    /// Returns when the listening socket closes.
    public func waitUntilClosed() async throws {
        try await channel.closeFuture.get()
    }
}

public enum RoomServer {
    /// Binds and starts serving; the caller owns the returned server and must shut it down.
    public static func start(configuration: RoomServerConfiguration, group: any EventLoopGroup,
                             logger: Logger) async throws -> RunningRoomServer {
        let hub = RoomHub(relay: RoomRelay(singleRoom: configuration.singleRoom, limits: configuration.limits),
                          logger: logger)
        let settings = RoomSocketHandler.Settings(maximumMessageBytes: configuration.limits.maximumFrameBytes,
                                                  writeHighWaterMark: configuration.writeHighWaterMark,
                                                  pingInterval: configuration.pingInterval)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try configure(channel: channel, hub: hub, settings: settings, logger: logger)
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw RoomServerError(description: "listening socket has no local port")
        }
        let server = RunningRoomServer(host: configuration.host, port: port, channel: channel, hub: hub)
        logger.info("room server listening", metadata: [
            "url": "\(server.url)", "rooms": "\(configuration.singleRoom ? "one for all paths" : "one per path")",
        ])
        return server
    }

    private static func configure(channel: any Channel, hub: RoomHub, settings: RoomSocketHandler.Settings,
                                  logger: Logger) throws {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: settings.maximumMessageBytes,
            // Our handler closes with a reason instead of the bare code the automatic handler sends.
            automaticErrorHandling: false,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    let handler = RoomSocketHandler(hub: hub, path: head.uri, settings: settings, logger: logger)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            })
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                // Upgraded: WebSocket frames must not reach the page handler.
                context.pipeline.removeHandler(name: pageHandlerName, promise: nil)
            }))
        try channel.pipeline.syncOperations.addHandler(PageHandler(), name: pageHandlerName)
    }

    private static let pageHandlerName = "room-page"
}

public struct RoomServerError: Error, CustomStringConvertible {
    public var description: String
}

/// Serves until the calling task is cancelled, then shuts down.
public func runRoomServer(configuration: RoomServerConfiguration, group: any EventLoopGroup,
                          logger: Logger) async throws {
    let server = try await RoomServer.start(configuration: configuration, group: group, logger: logger)
    try await withTaskCancellationHandler {
        try await server.waitUntilClosed()
    } onCancel: {
        server.hub.closeAll()
        server.channel.close(promise: nil)
    }
}
