import CEngageReceiveTime
import Mesh

/// Reads the datagrams waiting on a UDP socket in one `recvmmsg`, each with the kernel's receive stamp.
///
/// NIO reads one datagram per `recvmsg`, and its stamp (`DatagramArrivalClock`) costs an `ioctl` more; NIO's
/// vector reads (`recvmmsg`) give no stamps at all. So the shared socket lets NIO read the first datagram of a
/// wake-up (NIO owns the socket's readiness) and drains the rest with this: two system calls per datagram
/// become one per batch (docs/architecture.md, "One socket per event loop").
final class DatagramBatchReceiver {
    /// The size of NIO's own datagram buffers: a larger datagram is cut, counted and dropped.
    static let slotSize = 2048
    static let batchSize = Int(CENGAGE_MAXIMUM_DATAGRAMS_PER_CALL)

    private let descriptor: CInt
    private let buffer: UnsafeMutablePointer<UInt8>
    private let results: UnsafeMutablePointer<cengage_datagram>
    /// Datagrams dropped because they were larger than a slot.
    private(set) var oversized = 0
    /// The sources read lately, so that a datagram from a known peer costs no address of its own (building
    /// one allocates, and a meeting's peers interleave). Anyone can send to the socket, so the cache is
    /// bounded: when full it starts over.
    private var knownSources: [SourceKey: TransportAddress] = [:]
    static let maximumKnownSources = 1024
    var knownSourceCount: Int { knownSources.count }

    /// A source as the kernel gave it, hashable without allocating.
    private struct SourceKey: Hashable {
        var high: UInt64
        var low: UInt64
        var port: UInt16
        var family: UInt8
    }

    /// Nil when the socket cannot attach receive stamps (then NIO reads every datagram, as before).
    init?(descriptor: CInt) {
        guard cengage_enable_datagram_stamps(descriptor) == 0 else { return nil }
        self.descriptor = descriptor
        buffer = .allocate(capacity: Self.slotSize * Self.batchSize)
        results = .allocate(capacity: Self.batchSize)
    }

    deinit {
        buffer.deallocate()
        results.deallocate()
    }

    /// Reads what is waiting, up to `batchSize` datagrams, and hands each to `body` with its source and
    /// arrival (nil when the kernel gave no plausible stamp). Returns how many were read; fewer than
    /// `batchSize` means the socket is drained (or failed: ICMP errors and the like, which `body` never sees).
    func receive(_ body: (_ bytes: consuming [UInt8], _ source: TransportAddress, _ now: Timestamp, _ arrival: Timestamp?) -> Void) -> Int {
        let count = Int(cengage_receive_datagrams(descriptor, buffer, CInt(Self.slotSize), results, CInt(Self.batchSize)))
        guard count > 0 else { return 0 }
        let now = MonotonicClock.now()
        for index in 0..<count {
            let datagram = results[index]
            guard datagram.length >= 0 else {
                oversized += 1
                continue
            }
            guard let source = source(of: datagram) else { continue }
            let start = buffer + index * Self.slotSize
            let bytes = Array(UnsafeBufferPointer(start: start, count: Int(datagram.length)))
            body(bytes, source, now, DatagramArrivalClock.arrival(age: datagram.age, readAt: now))
        }
        return count
    }

    private func source(of datagram: cengage_datagram) -> TransportAddress? {
        let addressLength = datagram.family == 4 ? 4 : datagram.family == 6 ? 16 : 0
        guard addressLength > 0 else { return nil }
        // Only an IPv4 source's first 4 bytes are its address; the rest of the field is not cleared.
        let key = withUnsafeBytes(of: datagram.address) { raw in
            addressLength == 4
                ? SourceKey(high: UInt64(raw.loadUnaligned(as: UInt32.self)), low: 0, port: datagram.port, family: 4)
                : SourceKey(high: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                            low: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self), port: datagram.port, family: 6)
        }
        if let known = knownSources[key] { return known }
        let address = withUnsafeBytes(of: datagram.address) { raw in
            TransportAddress(addressBytes: Array(raw.prefix(addressLength)), port: datagram.port)
        }
        guard let address else { return nil }
        if knownSources.count >= Self.maximumKnownSources { knownSources.removeAll(keepingCapacity: true) }
        knownSources[key] = address
        return address
    }
}
