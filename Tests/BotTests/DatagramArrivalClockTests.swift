import Dispatch
import Mesh
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import MeshIO

/// The kernel's receive stamp reaches the packet path: a datagram that waited in the socket while the
/// event loop was busy is known to have arrived when it arrived, not when it was read.
@Suite struct DatagramArrivalClockTests {
    final class Readings: Sendable {
        let values = Mutex<[(read: Timestamp, arrival: Timestamp?)]>([])
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

    @Test func aDatagramThatWaitedWhileTheLoopWasBusyKeepsItsArrivalTime() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let readings = Readings()
        let receiver = try await DatagramBootstrap(group: group.next())
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ArrivalRecorder(readings: readings))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let sender = try await DatagramBootstrap(group: group.next()).bind(host: "127.0.0.1", port: 0).get()
        let destination = try #require(receiver.localAddress)

        // Hold the receiver's loop, send while it is held, keep holding for `held`, then let it read.
        let started = DispatchSemaphore(value: 0), gate = DispatchSemaphore(value: 0)
        receiver.eventLoop.execute {
            started.signal()
            gate.wait()
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { started.wait(); continuation.resume() }
        }
        let held = Duration.milliseconds(150)
        try await sender.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: ByteBuffer(bytes: [1, 2, 3])))
        try await Task.sleep(for: held)
        gate.signal()
        for _ in 0..<500 where readings.values.withLock({ $0.isEmpty }) {
            try await Task.sleep(for: .milliseconds(10))
        }

        let reading = try #require(readings.values.withLock { $0.first })
        let arrival = try #require(reading.arrival, "no kernel receive stamp for the datagram")
        // The datagram was in the socket before the hold ended, and the read came after it.
        #expect(reading.read - arrival >= held, "read \(reading.read - arrival) after arrival")
        try await receiver.close()
        try await sender.close()
        try await group.shutdownGracefully()
    }
}
