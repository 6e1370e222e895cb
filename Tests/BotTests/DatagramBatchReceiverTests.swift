import Foundation
import Mesh
import Testing

@testable import MeshIO

#if canImport(Glibc)
import Glibc
#endif

/// `DatagramBatchReceiver` on a real UDP socket: every waiting datagram in order, batch by batch, each with
/// its source and its own kernel receive stamp, and one too large for a slot dropped and counted.
@Suite struct DatagramBatchReceiverTests {
    /// A UDP socket on 127.0.0.1 and the port it got.
    func boundSocket() throws -> (descriptor: CInt, port: UInt16) {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(descriptor >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        try #require(bound)
        return (descriptor, UInt16(bigEndian: address.sin_port))
    }

    func send(_ bytes: [UInt8], from descriptor: CInt, to port: UInt16) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(sent == bytes.count)
    }

    /// The kernel switches stamping on for the whole machine a moment after the first socket asks (from a
    /// work queue); until then a datagram's stamp is its read time. Probes until one that waited 10 ms says so.
    func waitUntilTheKernelStamps(_ receiver: DatagramBatchReceiver, receiving: (descriptor: CInt, port: UInt16),
                                  sending: (descriptor: CInt, port: UInt16)) throws {
        for _ in 0..<100 {
            send([0xFF], from: sending.descriptor, to: receiving.port)
            Thread.sleep(forTimeInterval: 0.01)
            var stamped = false
            _ = receiver.receive { _, _, now, arrival in
                if let arrival, now - arrival >= .milliseconds(5) { stamped = true }
            }
            if stamped { return }
        }
        Issue.record("the kernel never stamped a datagram that waited")
    }

    @Test func waitingDatagramsComeInBatchesWithTheirArrivalTimes() throws {
        let receiving = try boundSocket(), sending = try boundSocket()
        defer {
            close(receiving.descriptor)
            close(sending.descriptor)
        }
        let receiver = try #require(DatagramBatchReceiver(descriptor: receiving.descriptor))
        #expect(receiver.receive { _, _, _, _ in Issue.record("a datagram from nowhere") } == 0)
        try waitUntilTheKernelStamps(receiver, receiving: receiving, sending: sending)

        // 140 datagrams (one of them larger than a slot) wait while nobody reads.
        let count = 140, oversizedIndex = 70
        func payload(_ index: Int) -> [UInt8] {
            index == oversizedIndex ? Array(repeating: 0xEE, count: DatagramBatchReceiver.slotSize + 1)
                : [UInt8(index), UInt8(index >> 8)] + Array(repeating: UInt8(truncatingIfNeeded: index * 7), count: index)
        }
        let sentAt = MonotonicClock.now()
        for index in 0..<count { send(payload(index), from: sending.descriptor, to: receiving.port) }
        let waited = Duration.milliseconds(100)
        Thread.sleep(forTimeInterval: 0.1)

        var received: [[UInt8]] = []
        var batches: [Int] = []
        while true {
            let batch = receiver.receive { bytes, source, now, arrival in
                received.append(bytes)
                #expect(source == TransportAddress(host: "127.0.0.1", port: sending.port))
                guard let arrival else {
                    Issue.record("no kernel receive stamp")
                    return
                }
                #expect(arrival + .milliseconds(5) >= sentAt && now - arrival >= waited, "arrival \(now - arrival) before the read")
            }
            batches.append(batch)
            if batch < DatagramBatchReceiver.batchSize { break }
        }
        #expect(batches == [DatagramBatchReceiver.batchSize, count - DatagramBatchReceiver.batchSize])
        #expect(received == (0..<count).filter { $0 != oversizedIndex }.map(payload))
        #expect(receiver.oversized == 1)
    }

    /// Datagrams from two peers, in runs and interleaved, each come with their own source.
    @Test func eachDatagramKeepsItsOwnSource() throws {
        let receiving = try boundSocket(), first = try boundSocket(), second = try boundSocket()
        defer {
            for descriptor in [receiving.descriptor, first.descriptor, second.descriptor] { close(descriptor) }
        }
        let receiver = try #require(DatagramBatchReceiver(descriptor: receiving.descriptor))
        let senders = [first, first, second, first, second, second, second, first]
        for (index, sender) in senders.enumerated() { send([UInt8(index)], from: sender.descriptor, to: receiving.port) }
        Thread.sleep(forTimeInterval: 0.05)
        var sources: [UInt8: UInt16] = [:]
        _ = receiver.receive { bytes, source, _, _ in
            if let index = bytes.first { sources[index] = source.port }
        }
        #expect(sources == Dictionary(uniqueKeysWithValues: senders.enumerated().map { (UInt8($0.offset), $0.element.port) }))
    }

    /// Anyone can send to the socket: more sources than the receiver remembers still each come with their own
    /// address, and what it remembers stays bounded.
    @Test func moreSourcesThanItRemembersStayCorrectAndBounded() throws {
        let receiving = try boundSocket()
        defer { close(receiving.descriptor) }
        let receiver = try #require(DatagramBatchReceiver(descriptor: receiving.descriptor))
        var distinctPorts: Set<UInt16> = []
        var wrongSources = 0
        for round in 0..<40 {
            var ports: [UInt16] = []
            for index in 0..<32 {
                let sender = try boundSocket()
                ports.append(sender.port)
                send([UInt8(index), UInt8(round)], from: sender.descriptor, to: receiving.port)
                close(sender.descriptor)
            }
            distinctPorts.formUnion(ports)
            Thread.sleep(forTimeInterval: 0.01)
            var received = 0
            while received < ports.count {
                let count = receiver.receive { bytes, source, _, _ in
                    guard bytes.count == 2, bytes[1] == UInt8(round), Int(bytes[0]) < ports.count else { return }
                    if source.port != ports[Int(bytes[0])] || source.host != "127.0.0.1" { wrongSources += 1 }
                }
                if count == 0 { break }
                received += count
            }
            #expect(received == ports.count, "round \(round)")
            #expect(receiver.knownSourceCount <= DatagramBatchReceiver.maximumKnownSources)
        }
        try #require(distinctPorts.count > DatagramBatchReceiver.maximumKnownSources, "the test needs more sources than the cache holds")
        #expect(wrongSources == 0)
    }
}
