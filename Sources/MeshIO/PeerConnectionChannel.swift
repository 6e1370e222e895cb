import Logging
import Mesh
import NIOCore
import NIOPosix

/// One peer connection on the UDP socket its meeting shares on the connection's event loop
/// (`SharedDatagramSockets`): the only place its bytes meet a socket.
///
/// The sans-IO `PeerConnection` lives on that event loop. Every datagram routed to it is handed over at
/// once and its output drained, so STUN checks are answered without waiting on anything else. Its next
/// deadline is a task of its own on the same loop while it joins, then a tick of its socket's one timer
/// (`Handler.arm`). Events leave through `events`.
public final class PeerConnectionChannel: Sendable {
    public let key: ConnectionKey
    public let localAddress: TransportAddress
    private let socket: SharedDatagramSocket
    private let handler: NIOLoopBound<Handler>

    private var eventLoop: any EventLoop { socket.channel.eventLoop }

    public struct UfragTaken: Error, CustomStringConvertible {
        public var description: String { "another connection on this socket has the same ICE ufrag" }
    }

    /// Takes the next event loop of `group` and its shared socket for connections of this kind, then builds the
    /// connection for that socket's address.
    public static func open(
        key: ConnectionKey,
        sockets: SharedDatagramSockets,
        group: any EventLoopGroup,
        logger: Logger,
        events: @escaping @Sendable (ConnectionKey, consuming PeerEvent) -> Void,
        makeConnection: @escaping @Sendable (TransportAddress, Timestamp) throws -> PeerConnection
    ) async throws -> PeerConnectionChannel {
        let loop = group.next()
        let socket = try await sockets.socket(on: loop, for: key.kind)
        let handler = try await loop.submit {
            let connection = try makeConnection(socket.localAddress, MonotonicClock.now())
            let handler = Handler(key: key, connection: connection, socket: socket, logger: logger, events: events)
            guard socket.add(handler) else { throw UfragTaken() }
            handler.drain(flush: true)
            return NIOLoopBound(handler, eventLoop: loop)
        }.get()
        return PeerConnectionChannel(key: key, localAddress: socket.localAddress, socket: socket, handler: handler)
    }

    private init(key: ConnectionKey, localAddress: TransportAddress, socket: SharedDatagramSocket,
                 handler: NIOLoopBound<Handler>) {
        self.key = key
        self.localAddress = localAddress
        self.socket = socket
        self.handler = handler
    }

    /// Runs `action` on the connection in its event loop, then sends what it produced.
    public func perform(_ action: @escaping @Sendable (PeerConnection, Timestamp) -> Void) {
        let handler = self.handler
        eventLoop.execute {
            action(handler.value.connection, MonotonicClock.now())
            handler.value.drain(flush: true)
        }
    }

    /// `perform` on each of `channels`, with one hop per event loop rather than one per channel and one
    /// flush per socket: the tile goes to every connection 55 times a second, every hop may wake its loop,
    /// and a flush of many datagrams is one `sendmmsg`.
    public static func perform(on channels: [PeerConnectionChannel],
                               _ action: @escaping @Sendable (PeerConnection, Timestamp) -> Void) {
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, members: [PeerConnectionChannel])] = [:]
        for member in channels {
            let loop = member.eventLoop
            byLoop[ObjectIdentifier(loop), default: (loop, [])].members.append(member)
        }
        for (loop, members) in byLoop.values {
            loop.execute {
                var sockets: [ObjectIdentifier: any Channel] = [:]
                for member in members {
                    action(member.handler.value.connection, MonotonicClock.now())
                    member.handler.value.drain(flush: false)
                    sockets[ObjectIdentifier(member.socket)] = member.socket.channel
                }
                for channel in sockets.values { channel.flush() }
            }
        }
    }

    /// Same as `perform`, returning a value computed on the loop.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PeerConnection, Timestamp) throws -> T) async throws -> T {
        let handler = self.handler
        return try await eventLoop.submit {
            let result = try body(handler.value.connection, MonotonicClock.now())
            handler.value.drain(flush: true)
            return result
        }.get()
    }

    /// Says goodbye (BYE, close_notify) where it can, then stops routing to the connection; the socket stays
    /// for the meeting's other connections.
    public func close() async {
        perform { connection, now in connection.close(at: now) }
        try? await eventLoop.scheduleTask(in: .milliseconds(50)) {}.futureResult.get()
        let handler = self.handler
        try? await eventLoop.submit { handler.value.detach() }.get()
    }

    /// The connection's state on its event loop: what the shared socket routes to, and whose output goes out
    /// through it.
    final class Handler {
        let key: ConnectionKey
        let connection: PeerConnection
        private let socket: SharedDatagramSocket
        let logger: Logger
        let events: @Sendable (ConnectionKey, consuming PeerEvent) -> Void
        /// While joining: the connection's own timer task and the tick it fires on.
        private var scheduled: (tick: NIODeadline, task: Scheduled<Void>)?
        /// Past its join: the tick its socket's one timer is to fire it on (`SharedDatagramSocket.wake`).
        private(set) var timerTick: NIODeadline?
        private var detached = false
        /// Until when a join still under way has its timers and its socket's reads unmoderated.
        let joinWindowEnd = MonotonicClock.now() + Handler.joinWindow

        /// Longer than any join on a live network takes; a connection that never completes one (a data
        /// channel that never opens) is then moderated like the rest.
        static let joinWindow: Duration = .seconds(10)

        /// Whether the connection is still joining (`PeerConnection.isJoining`), within its join window. Asked
        /// after every datagram: the clock is read only while the connection says it is joining.
        var isJoining: Bool { connection.isJoining && MonotonicClock.now() < joinWindowEnd }

        init(key: ConnectionKey, connection: PeerConnection, socket: SharedDatagramSocket, logger: Logger,
             events: @escaping @Sendable (ConnectionKey, consuming PeerEvent) -> Void) {
            self.key = key
            self.connection = connection
            self.socket = socket
            self.logger = logger
            self.events = events
        }

        /// A datagram the socket routed here. Its answers wait for the socket's flush at the end of the batch.
        func receive(_ bytes: consuming [UInt8], from source: TransportAddress, at now: Timestamp, arrival: Timestamp?) {
            connection.handleDatagram(consume bytes, from: source, at: now, arrival: arrival)
            drain(flush: false)
        }

        /// Leaves the socket: nothing more is routed here and the timer stops.
        func detach() {
            detached = true
            socket.remove(self)
            scheduled?.task.cancel()
            scheduled = nil
            timerTick = nil
        }

        /// The socket's timer reached `timerTick`. Its flush is the socket's, once for every connection it fired.
        func fireTimer() {
            timerTick = nil
            connection.handleTimeout(at: MonotonicClock.now())
            drain(flush: false)
        }

        /// Sends every datagram the connection produced, forwards its events, and re-arms its timer.
        func drain(flush: Bool) {
            guard !detached else { return }
            let channel = socket.channel
            var wrote = false
            while true {
                switch connection.pollOutput() {
                case .transmit(let bytes, let destination):
                    guard let address = try? destination.socketAddress() else { continue }
                    if DatagramKind(classifying: bytes) == .stun {
                        socket.sent(bytes, to: destination, by: self, at: MonotonicClock.now())
                    }
                    let buffer = channel.allocator.buffer(bytes: bytes)
                    channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
                    wrote = true
                case .event(let event):
                    events(key, event)
                case .timeout(let deadline):
                    if wrote && flush { channel.flush() }
                    arm(deadline)
                    return
                }
            }
        }

        private func arm(_ deadline: Deadline?) {
            guard let deadline else {
                scheduled?.task.cancel()
                scheduled = nil
                timerTick = nil
                return
            }
            guard isJoining else {
                // Past its join, the connection's deadlines (feedback, reports, repair) move with almost every
                // packet, mostly within one tick: they wait for a tick of the socket's one timer, which fires
                // every connection due on it in one go. A task per connection, cancelled and scheduled anew as
                // its deadline moved, cost a fifth of the recorder's reference counting at N = 20, in NIO's
                // timer heap (perf).
                scheduled?.task.cancel()
                scheduled = nil
                let tick = MonotonicClock.tick(atOrAfter: deadline.at)
                guard timerTick != tick else { return }
                timerTick = tick
                socket.wake(at: tick)
                return
            }
            // A join's timers (ICE checks, retransmitted flights) fire when due: the participant waits for each.
            timerTick = nil
            let tick = MonotonicClock.deadline(deadline.at)
            if let scheduled, scheduled.tick == tick { return }
            scheduled?.task.cancel()
            let task = socket.channel.eventLoop.assumeIsolated().scheduleTask(deadline: tick) { [self] in
                scheduled = nil
                connection.handleTimeout(at: MonotonicClock.now())
                drain(flush: true)
            }
            scheduled = (tick, task)
        }
    }
}
