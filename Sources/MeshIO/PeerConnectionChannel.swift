import Logging
import Mesh
import NIOCore
import NIOPosix

/// One peer connection on its own UDP socket: the only place its bytes meet a socket.
///
/// The sans-IO `PeerConnection` lives on the channel's event loop. Every datagram is handed to it at
/// once and its output drained, so STUN checks are answered without waiting on anything else; its
/// next deadline is kept as one scheduled task on the same loop. Events leave through `events`.
public final class PeerConnectionChannel: Sendable {
    public let key: ConnectionKey
    public let localAddress: TransportAddress
    private let channel: any Channel
    private let handler: NIOLoopBound<Handler>

    /// Binds a UDP socket on `host`, then builds the connection for that address.
    public static func open(
        key: ConnectionKey,
        host: String,
        group: any EventLoopGroup,
        logger: Logger,
        events: @escaping @Sendable (ConnectionKey, PeerEvent) -> Void,
        makeConnection: @escaping @Sendable (TransportAddress, Timestamp) throws -> PeerConnection
    ) async throws -> PeerConnectionChannel {
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .bind(host: host, port: 0).get()
        do {
            guard let bound = channel.localAddress, let localAddress = TransportAddress(bound) else {
                throw SignallingSocket.ConnectError(description: "UDP socket on \(host) has no usable address")
            }
            let handler = try await channel.eventLoop.submit {
                let connection = try makeConnection(localAddress, MonotonicClock.now())
                let handler = Handler(key: key, connection: connection, logger: logger, events: events)
                try channel.pipeline.syncOperations.addHandler(handler)
                handler.drain(context: nil, channel: channel)
                return NIOLoopBound(handler, eventLoop: channel.eventLoop)
            }.get()
            return PeerConnectionChannel(key: key, localAddress: localAddress, channel: channel, handler: handler)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private init(key: ConnectionKey, localAddress: TransportAddress, channel: any Channel,
                 handler: NIOLoopBound<Handler>) {
        self.key = key
        self.localAddress = localAddress
        self.channel = channel
        self.handler = handler
    }

    /// Runs `action` on the connection in its event loop, then sends what it produced.
    public func perform(_ action: @escaping @Sendable (PeerConnection, Timestamp) -> Void) {
        let handler = self.handler
        let channel = self.channel
        channel.eventLoop.execute {
            action(handler.value.connection, MonotonicClock.now())
            handler.value.drain(context: nil, channel: channel)
        }
    }

    /// `perform` on each of `channels`, with one hop per event loop rather than one per channel: the tile
    /// goes to every connection 55 times a second, and every hop may wake its loop.
    public static func perform(on channels: [PeerConnectionChannel],
                               _ action: @escaping @Sendable (PeerConnection, Timestamp) -> Void) {
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, members: [PeerConnectionChannel])] = [:]
        for member in channels {
            let loop = member.channel.eventLoop
            byLoop[ObjectIdentifier(loop), default: (loop, [])].members.append(member)
        }
        for (loop, members) in byLoop.values {
            loop.execute {
                for member in members {
                    action(member.handler.value.connection, MonotonicClock.now())
                    member.handler.value.drain(context: nil, channel: member.channel)
                }
            }
        }
    }

    /// Same as `perform`, returning a value computed on the loop.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PeerConnection, Timestamp) throws -> T) async throws -> T {
        let handler = self.handler
        let channel = self.channel
        return try await channel.eventLoop.submit {
            let result = try body(handler.value.connection, MonotonicClock.now())
            handler.value.drain(context: nil, channel: channel)
            return result
        }.get()
    }

    /// Closes the socket after the connection has said goodbye (BYE, close_notify) where it could.
    public func close() async {
        perform { connection, now in connection.close(at: now) }
        try? await channel.eventLoop.scheduleTask(in: .milliseconds(50)) {}.futureResult.get()
        try? await channel.close()
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>

        let key: ConnectionKey
        let connection: PeerConnection
        let logger: Logger
        let events: @Sendable (ConnectionKey, PeerEvent) -> Void
        private var scheduled: (deadline: Timestamp, task: Scheduled<Void>)?
        private var arrivalClock: DatagramArrivalClock?

        init(key: ConnectionKey, connection: PeerConnection, logger: Logger,
             events: @escaping @Sendable (ConnectionKey, PeerEvent) -> Void) {
            self.key = key
            self.connection = connection
            self.logger = logger
            self.events = events
        }

        func handlerAdded(context: ChannelHandlerContext) {
            arrivalClock = DatagramArrivalClock(context: context)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let source = TransportAddress(envelope.remoteAddress) else { return }
            let bytes = Array(envelope.data.readableBytesView)
            let now = MonotonicClock.now()
            connection.handleDatagram(bytes, from: source, at: now, arrival: arrivalClock?.arrival(ofDatagramReadAt: now))
            drain(context: context, channel: context.channel)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // ICMP port unreachable and the like surface here; the sans-IO core decides via its timers.
            logger.debug("UDP error on \(key): \(error)")
        }

        /// Sends every datagram the connection produced, forwards its events, and re-arms its timer.
        func drain(context: ChannelHandlerContext?, channel: any Channel) {
            var wrote = false
            while true {
                switch connection.pollOutput() {
                case .transmit(let bytes, let destination):
                    guard let address = try? destination.socketAddress() else { continue }
                    let buffer = channel.allocator.buffer(bytes: bytes)
                    let envelope = AddressedEnvelope(remoteAddress: address, data: buffer)
                    if let context {
                        context.write(wrapOutboundOut(envelope), promise: nil)
                    } else {
                        channel.write(envelope, promise: nil)
                    }
                    wrote = true
                case .event(let event):
                    events(key, event)
                case .timeout(let deadline):
                    if wrote {
                        if let context { context.flush() } else { channel.flush() }
                    }
                    arm(deadline, channel: channel)
                    return
                }
            }
        }

        private func arm(_ deadline: Deadline?, channel: any Channel) {
            guard let deadline else {
                scheduled?.task.cancel()
                scheduled = nil
                return
            }
            if let scheduled, scheduled.deadline == deadline.at { return }
            scheduled?.task.cancel()
            let task = channel.eventLoop.assumeIsolated().scheduleTask(deadline: MonotonicClock.deadline(deadline.at)) { [self] in
                scheduled = nil
                connection.handleTimeout(at: MonotonicClock.now())
                drain(context: nil, channel: channel)
            }
            scheduled = (deadline.at, task)
        }
    }
}
