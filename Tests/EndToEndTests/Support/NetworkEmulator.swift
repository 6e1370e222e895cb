import Mesh

/// What the emulated path does to each datagram: drops some RTP and RTCP, delays the rest by a per-kind base
/// plus a random jitter (so later packets overtake earlier ones), all drawn from one seed so every run is the same.
///
/// STUN and DTLS only get the base delay: OpenSSL times DTLS retransmissions on its own real clock, which
/// does not move on virtual time, so a lost handshake flight would stall the setup rather than test repair.
struct NetworkConditions: Sendable {
    var loss: Double
    /// Uniform extra delay in `0...jitter`, per datagram.
    var jitter: Duration = .zero
    var videoDelay: Duration = .milliseconds(30)
    var audioDelay: Duration = .milliseconds(20)
    /// RTCP, STUN, DTLS and SCTP.
    var controlDelay: Duration = .milliseconds(20)
    /// When every RTP and RTCP datagram is lost, both ways (virtual time): longer than any repair can wait.
    var outage: Range<Timestamp>?
}

/// A seeded netem between two peers on virtual time: datagrams go in with `send`, and come out of
/// `deliveries(upTo:)` when their delivery time has come, in delivery order.
///
/// RTP keeps its header in the clear under SRTP, so the payload type tells video from audio; the caller
/// names the video payload types (media and RTX) from the negotiated descriptions.
struct NetworkEmulator {
    struct Datagram {
        var bytes: [UInt8]
        var to: TransportAddress
        var from: TransportAddress
    }

    private struct InFlight {
        var at: Timestamp
        var order: Int
        var datagram: Datagram
    }

    var conditions: NetworkConditions
    let videoPayloadTypes: Set<UInt8>
    private var random: SplitMix64
    private var inFlight: [InFlight] = []
    private var order = 0
    private(set) var sent = 0
    private(set) var dropped = 0

    init(conditions: NetworkConditions, videoPayloadTypes: Set<UInt8>, seed: UInt64) {
        self.conditions = conditions
        self.videoPayloadTypes = videoPayloadTypes
        random = SplitMix64(seed: seed)
    }

    mutating func send(_ bytes: [UInt8], from: TransportAddress, to: TransportAddress, at now: Timestamp) {
        sent += 1
        let kind = kind(of: bytes)
        let isMedia = kind != .handshake
        if isMedia, conditions.outage?.contains(now) == true {
            dropped += 1
            return
        }
        if isMedia, Double.random(in: 0..<1, using: &random) < conditions.loss {
            dropped += 1
            return
        }
        let base: Duration
        switch kind {
        case .video: base = conditions.videoDelay
        case .audio: base = conditions.audioDelay
        case .rtcp, .handshake: base = conditions.controlDelay
        }
        let jitterNanoseconds = conditions.jitter.nanoseconds
        let extra = isMedia && jitterNanoseconds > 0 ? Int64.random(in: 0...jitterNanoseconds, using: &random) : 0
        order += 1
        inFlight.append(InFlight(at: now + base + .nanoseconds(extra), order: order,
                                 datagram: Datagram(bytes: bytes, to: to, from: from)))
    }

    var nextDelivery: Timestamp? { inFlight.map(\.at).min() }

    /// Everything due by `now`, earliest first (ties in sending order).
    mutating func deliveries(upTo now: Timestamp) -> [Datagram] {
        let due = inFlight.filter { $0.at <= now }.sorted { ($0.at, $0.order) < ($1.at, $1.order) }
        guard !due.isEmpty else { return [] }
        inFlight.removeAll { $0.at <= now }
        return due.map(\.datagram)
    }

    private enum Kind { case video, audio, rtcp, handshake }

    private func kind(of bytes: [UInt8]) -> Kind {
        // RFC 7983: 128...191 is RTP or RTCP; RTCP's packet types 192...223 sit where RTP has M + PT.
        guard bytes.count >= 12, (128...191).contains(bytes[0]) else { return .handshake }
        if (192...223).contains(bytes[1]) { return .rtcp }
        return videoPayloadTypes.contains(bytes[1] & 0x7F) ? .video : .audio
    }
}
