import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

struct TestTimeout: Error, CustomStringConvertible {
    var description: String
}

/// A bare WebSocket client for tests: sends any frame (including hostile ones) and records what comes back.
final class TestWebSocket: Sendable {
    enum Event: Equatable, Sendable {
        case text(String)
        case close(code: UInt16?, reason: String)
        case ended
    }

    let channel: any Channel
    private let events: NIOLockedValueBox<[Event]>

    private init(channel: any Channel, events: NIOLockedValueBox<[Event]>) {
        self.channel = channel
        self.events = events
    }

    static func connect(port: Int, path: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                        answersPings: Bool = true) async throws -> TestWebSocket {
        let events = NIOLockedValueBox<[Event]>([])
        let (channel, upgraded) = try await ClientBootstrap(group: group)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { () -> (any Channel, EventLoopFuture<Bool>) in
                    let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(
                        maxFrameSize: 1 << 20,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(Recorder(events: events, answersPings: answersPings))
                                return true
                            }
                        })
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "127.0.0.1:\(port)")
                    headers.add(name: "Content-Length", value: "0")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Bool>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(false) })
                    let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                    return (channel, upgraded)
                }
            }
        guard try await upgraded.get() else { throw TestTimeout(description: "upgrade refused") }
        return TestWebSocket(channel: channel, events: events)
    }

    func send(_ text: String) async throws {
        try await send(opcode: .text, Array(text.utf8))
    }

    func send(opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true) async throws {
        let frame = WebSocketFrame(fin: fin, opcode: opcode, maskKey: .random(),
                                   data: channel.allocator.buffer(bytes: bytes))
        try await channel.writeAndFlush(frame)
    }

    /// Many copies of one text frame, flushed once. The server may close mid-way; that is not an error here.
    func sendBatch(_ text: String, count: Int) async throws {
        let payload = channel.allocator.buffer(string: text)
        for _ in 0..<count {
            channel.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: payload), promise: nil)
        }
        try? await channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: payload))
    }

    /// The next event, or a timeout error.
    func next(within timeout: Duration = .seconds(5)) async throws -> Event {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let event = events.withLockedValue { $0.isEmpty ? nil : $0.removeFirst() }
            if let event { return event }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestTimeout(description: "no event within \(timeout)")
    }

    /// The next text frame, skipping nothing: anything else is an error.
    func nextText(within timeout: Duration = .seconds(5)) async throws -> String {
        let event = try await next(within: timeout)
        guard case .text(let text) = event else { throw TestTimeout(description: "expected text, got \(event)") }
        return text
    }

    /// Everything that arrives within `window`.
    func drain(for window: Duration) async throws -> [Event] {
        try await Task.sleep(for: window)
        return events.withLockedValue { events in
            defer { events.removeAll() }
            return events
        }
    }

    func close() async {
        try? await channel.close()
    }

    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let events: NIOLockedValueBox<[Event]>
        let answersPings: Bool

        init(events: NIOLockedValueBox<[Event]>, answersPings: Bool) {
            self.events = events
            self.answersPings = answersPings
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            var payload = frame.unmaskedData
            switch frame.opcode {
            case .text:
                let text = payload.readString(length: payload.readableBytes) ?? ""
                events.withLockedValue { $0.append(.text(text)) }
            case .connectionClose:
                let code = payload.readInteger(as: UInt16.self)
                let reason = payload.readString(length: payload.readableBytes) ?? ""
                events.withLockedValue { $0.append(.close(code: code, reason: reason)) }
                var reply = context.channel.allocator.buffer(capacity: 2)
                if let code { reply.writeInteger(code) }
                let close = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: reply)
                context.writeAndFlush(wrapOutboundOut(close)).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            case .ping where answersPings:
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: payload)
                context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
            default:
                break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            events.withLockedValue { $0.append(.ended) }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// One plain HTTP/1.1 exchange over a raw socket; returns the whole response as text.
func httpRequest(port: Int, _ request: String,
                 group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> String {
    let received = NIOLockedValueBox(ByteBuffer())
    let channel = try await ClientBootstrap(group: group)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteCollector(received: received))
            }
        }
        .connect(host: "127.0.0.1", port: port).get()
    try await channel.writeAndFlush(channel.allocator.buffer(string: request))
    try await channel.closeFuture.get()
    return received.withLockedValue { String(buffer: $0) }
}

private final class ByteCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let received: NIOLockedValueBox<ByteBuffer>

    init(received: NIOLockedValueBox<ByteBuffer>) { self.received = received }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.withLockedValue { _ = $0.writeBuffer(&bytes) }
    }
}
