import Dispatch
import Foundation
import Mesh
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import MeshIO

#if canImport(Glibc)
import Glibc
#endif

/// The kernel's receive stamp reaches the packet path: a datagram that waited in the socket while the
/// event loop was busy is known to have arrived when it arrived, not when it was read.
@Suite struct DatagramArrivalClockTests {
    final class Readings: Sendable {
        let values = Mutex<[(read: Timestamp, arrival: Timestamp?)]>([])

        var count: Int { values.withLock { $0.count } }
    }

    final class ArrivalRecorder: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let readings: Readings
        var clock: DatagramArrivalClock?

        init(readings: Readings) { self.readings = readings }

        func handlerAdded(context: ChannelHandlerContext) { clock = DatagramArrivalClock(context: context) }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let now = MonotonicClock.now()
            let arrival = clock?.arrival(ofDatagramReadAt: now)
            readings.values.withLock { $0.append((now, arrival)) }
        }
    }

    /// Sends one datagram to 127.0.0.1:`port` from a plain socket, without any event loop.
    static func sendDatagram(to port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(truncatingIfNeeded: port).bigEndian
        let bytes: [UInt8] = [1, 2, 3]
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return sent == bytes.count
    }

    func waitForReadings(_ readings: Readings, count: Int) async throws {
        for _ in 0..<1_000 where readings.count < count {
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(readings.count >= count, "the receiver read \(readings.count) of \(count) datagrams")
    }

    @Test func aDatagramThatWaitedWhileTheLoopWasBusyKeepsItsArrivalTime() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let readings = Readings()
        let receiver = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ArrivalRecorder(readings: readings))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(receiver.localAddress?.port)

        // The hold, the send and the wait all happen on the receiver's own loop thread, so however late the
        // test's task runs, the datagram waits at least `held` in the socket before the loop can read it.
        func sendWhileHeld(for held: Duration) async throws -> Timestamp {
            let readBefore = readings.count
            let sentAt = try await receiver.eventLoop.submit { () -> Timestamp? in
                guard Self.sendDatagram(to: port) else { return nil }
                let sentAt = MonotonicClock.now()
                Thread.sleep(forTimeInterval: Double(held.nanoseconds) / 1e9)
                return sentAt
            }.get()
            let sent = try #require(sentAt, "could not send the datagram")
            try await waitForReadings(readings, count: readBefore + 1)
            return sent
        }

        // The kernel switches stamping on for the whole machine a moment after the first socket asks (from a
        // work queue); until then a datagram's stamp is its read time. Probes until one held 10 ms says so.
        var stamping = false
        for _ in 0..<100 where !stamping {
            _ = try await sendWhileHeld(for: .milliseconds(10))
            let probe = readings.values.withLock { $0[$0.count - 1] }
            stamping = probe.arrival.map { probe.read - $0 >= .milliseconds(5) } ?? false
        }
        #expect(stamping, "the kernel never stamped a datagram that waited")

        let held = Duration.milliseconds(150)
        let sent = try await sendWhileHeld(for: held)
        let reading = readings.values.withLock { $0[$0.count - 1] }
        if reading.read - sent >= .nanoseconds(DatagramArrivalClock.longestPlausibleWait) {
            // A machine so loaded that the loop read more than two seconds late: such an age is taken for a
            // stepped wall clock, and the read time stands in.
            #expect(reading.arrival == nil)
        } else {
            let arrival = try #require(reading.arrival, "no kernel receive stamp for the datagram")
            // The datagram reached the socket as it was sent, and was read only after the hold.
            #expect(arrival + .milliseconds(5) >= sent, "arrival \(sent - arrival) before the send")
            #expect(reading.read - arrival >= held, "read \(reading.read - arrival) after arrival")
        }
        try await receiver.close()
        try await group.shutdownGracefully()
    }
}
