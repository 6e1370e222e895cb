import Logging
import NIOCore
import NIOWebSocket

/// One upgraded WebSocket: reassembles messages for the hub, answers pings, bounds what waits to be written.
///
/// Outbound frames from other connections arrive through `write` (the hub writes on the channel), which is
/// where a reader too slow to drain them is cut off instead of growing the server's memory.
final class RoomSocketHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    struct Settings {
        var maximumMessageBytes: Int
        var writeHighWaterMark: Int
        var pingInterval: TimeAmount?
        /// Fragments per message: empty continuation frames would otherwise never hit the size limit.
        var maximumFragments = 1024
        var closeGracePeriod: TimeAmount = .seconds(2)
    }

    private let hub: RoomHub
    private let path: String
    private let settings: Settings
    private let logger: Logger
    private var id: RoomRelay.ChannelID?
    private var fragments: ByteBuffer?
    private var fragmentCount = 0
    private var fragmentsAreBinary = false
    private var pendingWriteBytes = 0
    private var closing = false
    private var receivedSinceLastPing = true
    private var silentTicks = 0
    private var pingTask: RepeatedTask?
    private var closeTimer: Scheduled<Void>?

    init(hub: RoomHub, path: String, settings: Settings, logger: Logger) {
        self.hub = hub
        self.path = path
        self.settings = settings
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let joined = hub.join(path: path, channel: context.channel) else {
            sendClose(context: context, code: 1013, reason: "server full")
            return
        }
        id = joined.id
        if let interval = settings.pingInterval {
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let boundContext = context.loopBound
            pingTask = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                handler.value.pingTick(context: boundContext.value)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    private func finish() {
        pingTask?.cancel()
        pingTask = nil
        closeTimer?.cancel()
        closeTimer = nil
        if let id { hub.leave(id) }
        id = nil
        fragments = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        receivedSinceLastPing = true
        if frame.opcode == .connectionClose {
            return closeReceived(context: context, frame: frame)
        }
        guard !closing, let id else { return }
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else {
                return sendClose(context: context, code: 1002, reason: "data frame inside a fragmented message")
            }
            if frame.fin {
                return deliver(context: context, id: id, data: frame.unmaskedData, binary: frame.opcode == .binary)
            }
            fragments = frame.unmaskedData
            fragmentCount = 1
            fragmentsAreBinary = frame.opcode == .binary
        case .continuation:
            guard var assembled = fragments else {
                return sendClose(context: context, code: 1002, reason: "continuation without a message")
            }
            var data = frame.unmaskedData
            fragmentCount += 1
            guard assembled.readableBytes + data.readableBytes <= settings.maximumMessageBytes else {
                return sendClose(context: context, code: 1009, reason: "frame over \(settings.maximumMessageBytes) bytes")
            }
            guard fragmentCount <= settings.maximumFragments else {
                return sendClose(context: context, code: 1008, reason: "too many fragments")
            }
            fragments = nil  // keeps the buffer uniquely referenced while appending
            assembled.writeBuffer(&data)
            if frame.fin {
                deliver(context: context, id: id, data: assembled, binary: fragmentsAreBinary)
            } else {
                fragments = assembled
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        default:
            sendClose(context: context, code: 1002, reason: "unknown opcode")
        }
    }

    private func deliver(context: ChannelHandlerContext, id: RoomRelay.ChannelID, data: ByteBuffer, binary: Bool) {
        let instruction = binary ? hub.receiveBinary(from: id) : hub.receive(text: data, from: id)
        if let instruction {
            // The relay already forgot this channel; do not leave twice.
            self.id = nil
            sendClose(context: context, code: instruction.code.rawValue, reason: instruction.reason)
        }
    }

    private func closeReceived(context: ChannelHandlerContext, frame: WebSocketFrame) {
        guard !closing else {
            context.close(promise: nil)
            return
        }
        closing = true
        // Echo the peer's status code (RFC 6455 §5.5.1), then close.
        var data = frame.unmaskedData
        var reply = context.channel.allocator.buffer(capacity: 2)
        if let code = data.readInteger(as: UInt16.self) { reply.writeInteger(code) }
        let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: reply)
        context.writeAndFlush(wrapOutboundOut(close)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func pingTick(context: ChannelHandlerContext) {
        guard !closing else { return }
        // Two silent intervals, not one: a busy event loop can run this tick before reading a pong
        // that has already arrived.
        silentTicks = receivedSinceLastPing ? 0 : silentTicks + 1
        guard silentTicks < 2 else {
            return sendClose(context: context, code: 1001, reason: "no answer to ping")
        }
        receivedSinceLastPing = false
        let ping = WebSocketFrame(fin: true, opcode: .ping, data: context.channel.allocator.buffer(capacity: 0))
        context.writeAndFlush(wrapOutboundOut(ping), promise: nil)
    }

    /// Sends a close frame with a reason; the connection closes on the peer's reply or after a grace period.
    private func sendClose(context: ChannelHandlerContext, code: UInt16, reason: String) {
        guard !closing else { return }
        closing = true
        if code != 1013 { logger.notice("closing connection", metadata: ["code": "\(code)", "reason": "\(reason)"]) }
        var data = context.channel.allocator.buffer(capacity: 2 + 123)
        data.writeInteger(code)
        data.writeString(Self.closeReason(reason))
        let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        context.writeAndFlush(wrapOutboundOut(close), promise: nil)
        // Reading on until the peer answers drains its unread input; closing at once would reset the
        // connection, and a reset can destroy the close frame before the peer reads its reason.
        let boundContext = context.loopBound
        closeTimer = context.eventLoop.scheduleTask(in: settings.closeGracePeriod) {
            boundContext.value.close(promise: nil)
        }
    }

    /// Close frame payloads are at most 125 bytes: 2 for the code, 123 of UTF-8 cut on a character boundary.
    static func closeReason(_ reason: String) -> String {
        var result = ""
        var bytes = 0
        for character in reason {
            bytes += character.utf8.count
            guard bytes <= 123 else { break }
            result.append(character)
        }
        return result
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After a decoding error every further read reports one more; the close is already under way.
        guard !closing else { return }
        if let error = error as? NIOWebSocketError {
            switch error {
            case .invalidFrameLength:
                sendClose(context: context, code: 1009, reason: "frame over \(settings.maximumMessageBytes) bytes")
            default:
                sendClose(context: context, code: 1002, reason: "protocol error")
            }
        } else {
            context.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        guard !closing else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        let size = frame.data.readableBytes
        guard pendingWriteBytes + size <= settings.writeHighWaterMark else {
            promise?.fail(ChannelError.outputClosed)
            logger.notice("closing slow reader", metadata: ["pending": "\(pendingWriteBytes)"])
            // Its queue is full, so a close frame would wait behind it; a reader this far behind has lost
            // signalling anyway and must rejoin.
            closing = true
            context.close(promise: nil)
            return
        }
        pendingWriteBytes += size
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.assumeIsolated().whenComplete { _ in self.pendingWriteBytes -= size }
        context.write(data, promise: written)
    }
}
