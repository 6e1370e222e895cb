import CEngageReceiveTime
import Mesh
import NIOCore

/// When the kernel received each datagram a channel reads, on our monotonic clock.
///
/// A process that was busy reads a burst of datagrams at one instant; stamped with that instant, congestion
/// feedback would report our own scheduling as network delay (docs/architecture.md, "Arrival times"). The
/// kernel stamps every datagram as it arrives; `SIOCGSTAMPNS` returns the stamp of the one read last. NIO
/// reads one datagram per `recvmsg` and passes it down the pipeline before the next, so asking from
/// `channelRead` gives that datagram's own stamp.
struct DatagramArrivalClock {
    /// The channel's socket, when NIO gave it out.
    let descriptor: CInt?

    /// Longer than a datagram can wait in a 4 MiB receive buffer of a live process: beyond it, the wall
    /// clock stepped.
    static let longestPlausibleWait: Int64 = 2_000_000_000

    /// Call from `handlerAdded`: the channel's socket, with stamping switched on from here.
    init(context: ChannelHandlerContext) {
        let transport = try? context.pipeline.syncOperations.withUnsafeTransportIfAvailable(
            of: NIOBSDSocket.Handle.self) { $0 }
        descriptor = transport ?? nil
        // The kernel stamps datagrams only once someone has asked: this first answer is always "unknown".
        if let descriptor { _ = cengage_last_datagram_age(descriptor) }
    }

    /// Whether the channel gave us its socket; false: every arrival is nil and read times stand in.
    var isAvailable: Bool { descriptor != nil }

    /// When the datagram just read reached the socket; nil when unknown or implausible.
    func arrival(ofDatagramReadAt now: Timestamp) -> Timestamp? {
        guard let descriptor else { return nil }
        return Self.arrival(age: cengage_last_datagram_age(descriptor), readAt: now)
    }

    /// A datagram read at `now` that the kernel had received `age` nanoseconds before; nil when the age is
    /// unknown (negative) or implausible.
    static func arrival(age: Int64, readAt now: Timestamp) -> Timestamp? {
        guard age >= 0, age < longestPlausibleWait else { return nil }
        return Timestamp(nanoseconds: now.nanoseconds - age)
    }
}
