import Logging
import Mesh
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// The room's WebSocket: text frames in and out, ping/pong and fragmentation handled here.
public enum SignallingSocket {
    public struct ConnectError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Sends text frames on the socket; safe to use from any task.
    public struct Sender: Sendable {
        let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
        let allocator: ByteBufferAllocator

        public func send(_ text: String) async throws {
            let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(),
                                       data: allocator.buffer(string: text))
            try await outbound.write(frame)
        }

        public func close() async {
            var data = allocator.buffer(capacity: 2)
            data.write(webSocketErrorCode: .normalClosure)
            let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
            try? await outbound.write(frame)
            outbound.finish()
        }
    }

    /// The largest single WebSocket frame read off the wire.
    static let maximumWireFrameBytes = 16 << 20

    private enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused
    }

    /// Connects, upgrades, then runs `body` with a sender while `onText` receives every text frame.
    /// Returns when the server closes the socket or `body` returns.
    public static func run(
        url: RoomURL,
        group: any EventLoopGroup,
        logger: Logger,
        onText: @escaping @Sendable (String) async -> Void,
        body: @escaping @Sendable (Sender) async throws -> Void
    ) async throws {
        let sslContext: NIOSSLContext? = url.secure
            ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        let upgradeResult: EventLoopFuture<Upgrade> = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .connect(host: url.host, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: url.host)
                        try channel.pipeline.syncOperations.addHandler(tls)
                    }
                    // Frames are bounded here only against memory exhaustion; an oversized room message is
                    // dropped with a log line by the codec, so it cannot end the meeting for everyone.
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(
                        maxFrameSize: SignallingSocket.maximumWireFrameBytes,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                .websocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                            }
                        })
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: url.hostHeader)
                    headers.add(name: "Content-Length", value: "0")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.target, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture { .refused }
                        })
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                }
            }
        guard case .websocket(let channel) = try await upgradeResult.get() else {
            throw ConnectError(description: "\(url) did not accept a WebSocket upgrade")
        }
        logger.info("signalling connected", metadata: ["url": "\(url)"])
        try await channel.executeThenClose { inbound, outbound in
            let sender = Sender(outbound: outbound, allocator: channel.channel.allocator)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await receive(inbound, sender: sender, allocator: channel.channel.allocator,
                                      logger: logger, onText: onText)
                }
                group.addTask { try await body(sender) }
                // Whichever ends first (server closed, or the bot is done) ends the connection.
                try await group.next()
                group.cancelAll()
            }
        }
    }

    private static func receive(
        _ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>, sender: Sender, allocator: ByteBufferAllocator,
        logger: Logger, onText: @Sendable (String) async -> Void
    ) async throws {
        var fragments = ByteBuffer()
        var assemblingText = false
        for try await frame in inbound {
            switch frame.opcode {
            case .text:
                var data = frame.unmaskedData
                if frame.fin {
                    await onText(data.readString(length: data.readableBytes) ?? "")
                } else {
                    fragments.clear()
                    fragments.writeBuffer(&data)
                    assemblingText = true
                }
            case .continuation:
                guard assemblingText else { continue }
                var data = frame.unmaskedData
                guard fragments.readableBytes + data.readableBytes <= SignallingSocket.maximumWireFrameBytes else {
                    logger.error("signalling message over \(SignallingSocket.maximumWireFrameBytes) bytes dropped")
                    assemblingText = false
                    fragments.clear()
                    continue
                }
                fragments.writeBuffer(&data)
                if frame.fin {
                    assemblingText = false
                    await onText(fragments.readString(length: fragments.readableBytes) ?? "")
                }
            case .ping:
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
                try await sender.outbound.write(pong)
            case .connectionClose:
                var data = frame.unmaskedData
                let code = data.readWebSocketErrorCode().map { "\($0)" } ?? "no code"
                let reason = data.readString(length: data.readableBytes) ?? ""
                logger.info("signalling closed by the server (\(code)\(reason.isEmpty ? "" : ": \(reason.logSafe)"))")
                return
            default:
                continue
            }
        }
    }
}
