/// Arithmetic on 16-bit RTP sequence numbers, which wrap at 65536 (RFC 3550 §A.1).
///
/// "Newer" means ahead by less than half the number space: with 65536 values, a stream
/// would have to lose 32768 packets in a row before the comparison turned the wrong way.
public enum SequenceNumber {
    /// Whether `a` comes after `b`, allowing for wraparound.
    @inlinable
    public static func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        a != b && a &- b < 0x8000
    }

    /// Signed distance from `b` forward to `a`: positive when `a` is newer, in -32768...32767.
    @inlinable
    public static func distance(from b: UInt16, to a: UInt16) -> Int {
        Int(Int16(bitPattern: a &- b))
    }
}

/// Extends 16-bit sequence numbers into a monotonic 64-bit count (RFC 3550 §A.1's cycles).
///
/// The first number seen is placed in cycle 1 rather than 0 so that packets reordered ahead
/// of it, including across a wrap, still get a value instead of underflowing. The low 16 bits
/// of every extended value equal the wire value.
public struct SequenceUnwrapper: Sendable, Equatable {
    /// The highest extended value returned so far.
    public private(set) var highest: UInt64?

    public init() {}

    /// The extended value of `sequenceNumber`, taken as the one nearest to the highest so far.
    public mutating func unwrap(_ sequenceNumber: UInt16) -> UInt64 {
        let value = peek(sequenceNumber)
        if let highest, highest >= value { return value }
        highest = value
        return value
    }

    /// The extended value `unwrap` would return, without recording it.
    public func peek(_ sequenceNumber: UInt16) -> UInt64 {
        guard let highest else { return 0x1_0000 | UInt64(sequenceNumber) }
        let delta = SequenceNumber.distance(from: UInt16(truncatingIfNeeded: highest), to: sequenceNumber)
        if delta < 0, UInt64(-delta) > highest {
            // Only reachable in cycle 0 after a long backwards run; keep the value representable.
            return UInt64(sequenceNumber)
        }
        return delta >= 0 ? highest + UInt64(delta) : highest - UInt64(-delta)
    }
}
