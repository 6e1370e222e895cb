import Mesh
import NIOCore

/// The one place the monotonic clock is read for the sans-IO cores.
public enum MonotonicClock {
    public static func now() -> Timestamp {
        Timestamp(nanoseconds: Int64(clamping: NIODeadline.now().uptimeNanoseconds))
    }

    static func deadline(_ timestamp: Timestamp) -> NIODeadline {
        .uptimeNanoseconds(UInt64(clamping: max(timestamp.nanoseconds, 0)))
    }

    /// The spacing of the ticks an event loop's socket reads and connection timers are rounded up to. 8 ms
    /// rather than 4 halves the loops' wake-ups; at N = 20 the recorder spent 0.73-0.90 of the CPU it spent
    /// on 4 ms ticks, with first media as soon (docs/architecture.md, "One socket per event loop").
    static let tick: Int64 = 8_000_000

    /// The first tick at or after `timestamp`. Work of many connections rounded to the same tick runs in one
    /// wake-up of their event loop instead of one each (docs/architecture.md, "One socket per event loop"); no
    /// timer of ours minds firing up to 8 ms late: the shortest, NACK retries and congestion feedback, wait a
    /// round trip or tens of milliseconds, and arrival times come from the kernel.
    static func tick(atOrAfter timestamp: Timestamp) -> NIODeadline {
        let nanoseconds = max(timestamp.nanoseconds, 0)
        let (rounded, overflow) = nanoseconds.addingReportingOverflow(tick - 1)
        guard !overflow else { return .distantFuture }
        return .uptimeNanoseconds(UInt64(rounded / tick * tick))
    }
}

extension TransportAddress {
    init?(_ address: SocketAddress) {
        guard let port = address.port, let bytes = address.addressBytes else { return nil }
        self.init(addressBytes: bytes, port: UInt16(clamping: port))
    }

    func socketAddress() throws -> SocketAddress {
        try SocketAddress(ipAddress: host, port: Int(port))
    }
}

extension SocketAddress {
    var addressBytes: [UInt8]? {
        switch self {
        case .v4(let address):
            var raw = address.address.sin_addr.s_addr  // network order already
            return withUnsafeBytes(of: &raw) { Array($0) }
        case .v6(let address):
            var raw = address.address.sin6_addr
            return withUnsafeBytes(of: &raw) { Array($0) }
        case .unixDomainSocket:
            return nil
        }
    }
}
