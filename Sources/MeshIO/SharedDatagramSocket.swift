import Logging
import Mesh
import NIOCore
import NIOPosix
import Synchronization

/// The UDP sockets one meeting's connections share: one per event loop and connection kind, bound when the
/// first such connection opens, closed with `close()` when the meeting ends (docs/architecture.md, "One socket
/// per event loop").
///
/// One per kind, not one per loop: a peer may itself send all its connections from one address (another
/// EngageBot does), and its camera and screen connections must then reach us on different sockets, since
/// DTLS and SRTP carry nothing that says which connection they belong to.
public final class SharedDatagramSockets: Sendable {
    private let host: String
    private let logger: Logger
    private struct Key: Hashable {
        var loop: ObjectIdentifier
        var kind: ConnectionKind
    }
    private struct State {
        var sockets: [Key: EventLoopFuture<SharedDatagramSocket>] = [:]
        var closed = false
    }
    private let state = Mutex(State())

    public struct Closed: Error, CustomStringConvertible {
        public var description: String { "the meeting's sockets are closed" }
    }

    public init(host: String, logger: Logger) {
        self.host = host
        self.logger = logger
    }

    /// The socket on `loop` for connections of `kind`, bound on first use; concurrent first uses share one bind.
    func socket(on loop: any EventLoop, for kind: ConnectionKind) async throws -> SharedDatagramSocket {
        let key = Key(loop: ObjectIdentifier(loop), kind: kind)
        let (future, binds): (EventLoopFuture<SharedDatagramSocket>?, EventLoopPromise<SharedDatagramSocket>?) = state.withLock { state in
            if state.closed { return (nil, nil) }
            if let existing = state.sockets[key] { return (existing, nil) }
            let promise = loop.makePromise(of: SharedDatagramSocket.self)
            state.sockets[key] = promise.futureResult
            return (promise.futureResult, promise)
        }
        guard let future else { throw Closed() }
        if let binds {
            do {
                binds.succeed(try await SharedDatagramSocket.bind(host: host, on: loop, logger: logger))
            } catch {
                state.withLock { _ = $0.sockets.removeValue(forKey: key) }
                binds.fail(error)
            }
        }
        return try await future.get()
    }

    /// Closes every socket; later `socket(on:)` calls throw. Call once every connection has closed.
    public func close() async {
        let futures = state.withLock { state in
            state.closed = true
            defer { state.sockets = [:] }
            return Array(state.sockets.values)
        }
        for future in futures {
            if let socket = try? await future.get() { await socket.close() }
        }
    }
}

/// One UDP socket on one event loop, shared by every connection of a meeting on that loop.
///
/// Datagrams go to their connection by `SharedSocketRouter`'s rules. Reading is moderated: after a read
/// drained the socket, the next waits for the loop's next tick at least 2 ms away (`MonotonicClock.tick`, every
/// 4 ms, where the connections' timers fire too), so under load one wake-up of the loop serves every
/// connection's datagrams and timers of the last few milliseconds instead of one each; the first datagram
/// after a quiet spell, or after a batch that held STUN or DTLS (a join under way), is still read at once.
/// Arrival times come from the kernel (`DatagramArrivalClock`), so the wait never shows as network delay.
final class SharedDatagramSocket: Sendable {
    let channel: any Channel
    let localAddress: TransportAddress
    private let demultiplexer: NIOLoopBound<Demultiplexer>

    /// Datagrams read per wake-up at most; a full batch is followed by another read at once.
    static let datagramsPerRead = 128

    private init(channel: any Channel, localAddress: TransportAddress, demultiplexer: NIOLoopBound<Demultiplexer>) {
        self.channel = channel
        self.localAddress = localAddress
        self.demultiplexer = demultiplexer
    }

    static func bind(host: String, on loop: any EventLoop, logger: Logger) async throws -> SharedDatagramSocket {
        let channel = try await DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.autoRead, value: false)
            .channelOption(.maxMessagesPerRead, value: UInt(datagramsPerRead))
            .bind(host: host, port: 0).get()
        do {
            guard let bound = channel.localAddress, let localAddress = TransportAddress(bound) else {
                throw SignallingSocket.ConnectError(description: "UDP socket on \(host) has no usable address")
            }
            let demultiplexer = try await loop.submit {
                let demultiplexer = Demultiplexer(localAddress: localAddress, logger: logger)
                try channel.pipeline.syncOperations.addHandler(demultiplexer)
                channel.read()
                return NIOLoopBound(demultiplexer, eventLoop: loop)
            }.get()
            logger.debug("UDP socket \(localAddress) shared by the connections on its event loop")
            return SharedDatagramSocket(channel: channel, localAddress: localAddress, demultiplexer: demultiplexer)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// On the loop: routes this connection's datagrams to `member` from now on; false if its ufrag is taken.
    func add(_ member: PeerConnectionChannel.Handler) -> Bool {
        demultiplexer.value.add(member)
    }

    /// On the loop: stops routing to `member`.
    func remove(_ member: PeerConnectionChannel.Handler) {
        demultiplexer.value.remove(member)
    }

    /// On the loop: tells the router what a member sent, so the answers find their way back.
    func sent(_ bytes: [UInt8], to destination: TransportAddress, by member: PeerConnectionChannel.Handler, at now: Timestamp) {
        demultiplexer.value.router.sent(bytes, to: destination, by: ObjectIdentifier(member), at: now)
    }

    func close() async {
        try? await channel.close()
    }

    final class Demultiplexer: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>

        let localAddress: TransportAddress
        let logger: Logger
        var router = SharedSocketRouter<ObjectIdentifier>()
        private var members: [ObjectIdentifier: PeerConnectionChannel.Handler] = [:]
        private var arrivalClock: DatagramArrivalClock?
        private var readsSinceWakeUp = 0
        /// Whether the batch being read held STUN or DTLS: a handshake under way, whose every round trip a join waits for.
        private var handshakeInBatch = false
        private var nextRead: Scheduled<Void>?

        init(localAddress: TransportAddress, logger: Logger) {
            self.localAddress = localAddress
            self.logger = logger
        }

        func add(_ member: PeerConnectionChannel.Handler) -> Bool {
            let id = ObjectIdentifier(member)
            guard router.add(id, localUfrag: member.connection.localICEUfrag) else { return false }
            members[id] = member
            return true
        }

        func remove(_ member: PeerConnectionChannel.Handler) {
            let id = ObjectIdentifier(member)
            router.remove(id)
            members[id] = nil
        }

        func handlerAdded(context: ChannelHandlerContext) {
            arrivalClock = DatagramArrivalClock(context: context)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            nextRead?.cancel()
            nextRead = nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            readsSinceWakeUp += 1
            let envelope = unwrapInboundIn(data)
            guard let source = TransportAddress(envelope.remoteAddress) else { return }
            let bytes = Array(envelope.data.readableBytesView)
            switch DatagramKind(classifying: bytes) {
            case .stun, .dtls: handshakeInBatch = true
            case .rtp, .rtcp, .unknown: break
            }
            let now = MonotonicClock.now()
            let arrival = arrivalClock?.arrival(ofDatagramReadAt: now)
            switch router.route(bytes, from: source) {
            case .connection(let id):
                members[id]?.receive(bytes, from: source, at: now, arrival: arrival)
            case .drop(let reason):
                let count = router.drops[reason] ?? 0
                if DropReporting.isReportWorthy(count) {
                    logger.info("UDP \(localAddress): dropped \(count) datagram(s) so far: \(reason.rawValue) (latest from \(source))")
                }
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            // What the connections answered while this batch was read goes out together.
            context.flush()
            let batch = readsSinceWakeUp
            let handshake = handshakeInBatch
            readsSinceWakeUp = 0
            handshakeInBatch = false
            // A full batch may have left more behind; a handshake's next message is worth a wake-up of its own
            // (20 joins at once took 58 ms to first media instead of 51 when their round trips waited for ticks).
            if batch >= SharedDatagramSocket.datagramsPerRead || handshake {
                context.read()
                return
            }
            nextRead?.cancel()
            // On a tick, where the connections' timers fire too: one wake-up for both.
            let readAt = MonotonicClock.now() + .nanoseconds(MonotonicClock.tick / 2)
            nextRead = context.eventLoop.assumeIsolated().scheduleTask(deadline: MonotonicClock.tick(atOrAfter: readAt)) { [self] in
                nextRead = nil
                context.read()
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // ICMP port unreachable and the like surface here; each connection's timers decide its fate.
            logger.debug("UDP error on \(localAddress): \(error)")
        }
    }
}
