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
/// drained the socket, the next waits for the loop's next tick at least half a tick away (`MonotonicClock.tick`,
/// every 8 ms, where the connections' timers fire too), so under load one wake-up of the loop serves every
/// connection's datagrams and timers of the last few milliseconds instead of one each; the first datagram
/// after a quiet spell, or after a batch that held STUN or DTLS, or while a member is joining, is still read
/// at once.
/// Arrival times come from the kernel (`DatagramArrivalClock`), so the wait never shows as network delay.
final class SharedDatagramSocket: Sendable {
    let channel: any Channel
    let localAddress: TransportAddress
    private let demultiplexer: NIOLoopBound<Demultiplexer>

    /// Datagrams NIO reads per wake-up at most when it reads them all (no `DatagramBatchReceiver`); a full
    /// batch is followed by another read at once.
    static let datagramsPerRead = 128
    /// `DatagramBatchReceiver` batches per wake-up at most, after NIO's one datagram; then the loop's other
    /// work gets its turn, and the next read follows at once.
    static let batchesPerWakeUp = 4

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

    /// On the loop: a member's timer is due at `tick` (its `timerTick`); the socket's one timer fires it then.
    func wake(at tick: NIODeadline) {
        demultiplexer.value.wake(at: tick)
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
        /// Drains what NIO's one read per wake-up left behind; nil when the socket gives no stamps that way.
        private var batchReceiver: DatagramBatchReceiver?
        private var oversizedReported = 0
        private var isOpen = true
        private var readsSinceWakeUp = 0
        /// Whether the batch being read held STUN or DTLS: a handshake under way, whose every round trip a join waits for.
        private var handshakeInBatch = false
        private var nextRead: Scheduled<Void>?
        /// The end of the latest member's join window: until then, reads are unmoderated while any member is
        /// still joining.
        private var joinWindowEnd = Timestamp.zero
        /// The members' one timer (those past their join; `PeerConnectionChannel.Handler.arm`): the tick it is
        /// set for, at or before every member's `timerTick`.
        private var timerWakeUp: (tick: NIODeadline, task: Scheduled<Void>)?
        /// While due members fire: their new ticks are gathered, and the timer set once after.
        private var firingTimers = false
        private var eventLoop: (any EventLoop)?
        /// Until the socket closes: what the fired members sent goes out with one flush.
        private var channel: (any Channel)?

        init(localAddress: TransportAddress, logger: Logger) {
            self.localAddress = localAddress
            self.logger = logger
        }

        func add(_ member: PeerConnectionChannel.Handler) -> Bool {
            let id = ObjectIdentifier(member)
            guard router.add(id, localUfrag: member.connection.localICEUfrag) else { return false }
            members[id] = member
            joinWindowEnd = max(joinWindowEnd, member.joinWindowEnd)
            if let tick = member.timerTick { wake(at: tick) }
            return true
        }

        /// Sets the members' timer for `tick` unless it fires sooner.
        func wake(at tick: NIODeadline) {
            guard !firingTimers, isOpen, let eventLoop else { return }
            if let timerWakeUp, timerWakeUp.tick <= tick { return }
            timerWakeUp?.task.cancel()
            let task = eventLoop.assumeIsolated().scheduleTask(deadline: tick) { [self] in
                timerWakeUp = nil
                fireDueTimers()
            }
            timerWakeUp = (tick, task)
        }

        /// Fires every member whose tick has come, flushes what they sent in one go, and sets the timer for
        /// the earliest tick left.
        private func fireDueTimers() {
            guard isOpen else { return }
            let now = NIODeadline.now()
            firingTimers = true
            for member in members.values {
                if let tick = member.timerTick, tick <= now { member.fireTimer() }
            }
            firingTimers = false
            channel?.flush()
            var earliest: NIODeadline?
            for member in members.values {
                if let tick = member.timerTick, earliest.map({ tick < $0 }) ?? true { earliest = tick }
            }
            if let earliest { wake(at: earliest) }
        }

        func remove(_ member: PeerConnectionChannel.Handler) {
            let id = ObjectIdentifier(member)
            router.remove(id)
            members[id] = nil
        }

        func handlerAdded(context: ChannelHandlerContext) {
            eventLoop = context.eventLoop
            channel = context.channel
            let clock = DatagramArrivalClock(context: context)
            arrivalClock = clock
            if let descriptor = clock.descriptor, let receiver = DatagramBatchReceiver(descriptor: descriptor),
               (try? context.channel.syncOptions?.setOption(.maxMessagesPerRead, value: 1)) != nil {
                batchReceiver = receiver
            }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            stopReading()
        }

        func channelInactive(context: ChannelHandlerContext) {
            stopReading()
            context.fireChannelInactive()
        }

        /// The socket is closing (its descriptor may soon be another's): no read may follow.
        private func stopReading() {
            isOpen = false
            nextRead?.cancel()
            nextRead = nil
            timerWakeUp?.task.cancel()
            timerWakeUp = nil
            channel = nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let source = TransportAddress(envelope.remoteAddress) else { return }
            let now = MonotonicClock.now()
            // With the batch receiver on, the kernel keeps no stamp for `SIOCGSTAMPNS`; NIO then reads only the
            // first datagram after a quiet spell, and its read time is its arrival.
            let arrival = batchReceiver == nil ? arrivalClock?.arrival(ofDatagramReadAt: now) : nil
            deliver(Array(envelope.data.readableBytesView), from: source, at: now, arrival: arrival)
        }

        /// `bytes` is handed on, not copied: the connection decrypts it in place (`PeerConnection.handleDatagram`).
        private func deliver(_ bytes: consuming [UInt8], from source: TransportAddress, at now: Timestamp, arrival: Timestamp?) {
            readsSinceWakeUp += 1
            switch DatagramKind(classifying: copy bytes) {
            case .stun, .dtls: handshakeInBatch = true
            case .rtp, .rtcp, .unknown: break
            }
            switch router.route(bytes, from: source) {
            case .connection(let id):
                members[id]?.receive(consume bytes, from: source, at: now, arrival: arrival)
            case .drop(let reason):
                let count = router.drops[reason] ?? 0
                if DropReporting.isReportWorthy(count) {
                    logger.info("UDP \(localAddress): dropped \(count) datagram(s) so far: \(reason.rawValue) (latest from \(source))")
                }
            }
        }

        /// The rest of a wake-up's datagrams, a batch per system call; true when the last batch was full
        /// (more may be waiting).
        private func drainWithBatchReceiver() -> Bool {
            guard let receiver = batchReceiver else { return false }
            for _ in 0..<SharedDatagramSocket.batchesPerWakeUp {
                let count = receiver.receive { bytes, source, now, arrival in
                    deliver(consume bytes, from: source, at: now, arrival: arrival)
                }
                if receiver.oversized > oversizedReported {
                    oversizedReported = receiver.oversized
                    if DropReporting.isReportWorthy(oversizedReported) {
                        logger.info("UDP \(localAddress): dropped \(oversizedReported) datagram(s) so far: larger than \(DatagramBatchReceiver.slotSize) bytes")
                    }
                }
                if count < DatagramBatchReceiver.batchSize { return false }
            }
            return true
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            endBatch(context: context, more: drainWithBatchReceiver())
        }

        /// A tick's read. With the batch receiver it reads itself: NIO's read would take the oldest waiting
        /// datagram without its kernel stamp (a socket that attaches stamps to each datagram no longer answers
        /// `SIOCGSTAMPNS`), so NIO reads only after a quiet spell, when a datagram's read time is its arrival.
        private func readOnTick(context: ChannelHandlerContext) {
            // The descriptor is closed (and may be another socket's) once the channel is.
            guard isOpen, context.channel.isActive else { return }
            guard batchReceiver != nil else {
                context.read()
                return
            }
            let more = drainWithBatchReceiver()
            if readsSinceWakeUp == 0 {
                // Nothing came since the last read: wait for the next datagram, and read it the moment it comes.
                context.read()
                return
            }
            endBatch(context: context, more: more)
        }

        private func endBatch(context: ChannelHandlerContext, more: Bool) {
            // What the connections answered while this batch was read goes out together.
            context.flush()
            let batch = readsSinceWakeUp
            let handshake = handshakeInBatch
            readsSinceWakeUp = 0
            handshakeInBatch = false
            nextRead?.cancel()
            nextRead = nil
            if more {
                // Full batches may have left more behind: the loop's other work first, then on at once.
                context.eventLoop.assumeIsolated().execute { [self] in readOnTick(context: context) }
                return
            }
            // A handshake's next message is worth a wake-up of its own, while any member is joining (20 joins
            // at once took 58 ms to first media instead of 51 when their round trips waited for 4 ms ticks, 80
            // instead of 66 on 8 ms ticks); so is a full batch NIO read.
            let now = MonotonicClock.now()
            if handshake || (batchReceiver == nil && batch >= SharedDatagramSocket.datagramsPerRead)
                || (now < joinWindowEnd && members.values.contains { $0.isJoining }) {
                context.read()
                return
            }
            // On a tick, where the connections' timers fire too: one wake-up for both.
            let readAt = now + .nanoseconds(MonotonicClock.tick / 2)
            nextRead = context.eventLoop.assumeIsolated().scheduleTask(deadline: MonotonicClock.tick(atOrAfter: readAt)) { [self] in
                nextRead = nil
                readOnTick(context: context)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // ICMP port unreachable and the like surface here; each connection's timers decide its fate.
            logger.debug("UDP error on \(localAddress): \(error)")
        }
    }
}
