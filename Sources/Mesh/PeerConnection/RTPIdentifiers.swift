/// Where a connection's SSRCs and first sequence numbers come from: the system's random source, as
/// RFC 3550 wants, or a seed, so that two peers on virtual time keep the same RTCP schedule from run to
/// run (the report scheduler is seeded from our SSRC, and the feedback timing follows from it).
struct RTPIdentifiers {
    private var seeded: SplitMix64?

    init(seed: UInt64?) {
        seeded = seed.map { SplitMix64(seed: $0) }
    }

    mutating func next() -> UInt32 {
        if var generator = seeded {
            defer { seeded = generator }
            return UInt32(truncatingIfNeeded: generator.next() >> 32)
        }
        return Crypto.randomBytes(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}
