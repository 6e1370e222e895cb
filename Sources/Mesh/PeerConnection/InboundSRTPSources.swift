/// Which incoming sources keep their state in the inbound SRTP session.
///
/// libsrtp makes a stream (a replay window, a rollover counter) for every SSRC whose first packet
/// authenticates under the session's wildcard template, keeps it until the session ends, and finds
/// each packet's stream by a linear search of them all. A peer that puts a new SSRC on every packet
/// would grow that list without bound and slow every packet of every source on the event loop all
/// connections share: measured on this machine, ~0.4 ms per packet after 10,000 such sources and
/// several ms after 40,000. So a source keeps its libsrtp stream only while the connection has a use
/// for it, and the stream of any other source is removed right after its packet:
/// - RTP: a source whose packet went on as media (`SSRCAdmission` admitted it) or that the
///   negotiation announced (an RTX SSRC whose first packets are padding probes, say);
/// - RTCP: the first few sender SSRCs that are not media sources (a receive-only peer reports
///   from an SSRC it never sends on).
/// Both lists are bounded; a connection that already keeps the most RTP sources refuses the packet
/// of another before it would become one (counted by the caller).
struct InboundSRTPSources: Sendable {
    /// Admitted media sources plus their RTX sources, with room for announced sources not yet admitted.
    static let maximumRTPSources = SSRCAdmission.maximumSources * 2
    /// RTCP senders that are not media sources: one per receive-only peer, a few more to spare.
    static let maximumRTCPOnlySources = 8

    private(set) var rtp: Set<UInt32> = []
    private(set) var rtcpOnly: Set<UInt32> = []

    func keeps(_ ssrc: UInt32) -> Bool { rtp.contains(ssrc) || rtcpOnly.contains(ssrc) }

    /// Whether a packet of `ssrc` may be unprotected: a source not kept yet needs room to become one.
    func admitsRTP(from ssrc: UInt32) -> Bool { keeps(ssrc) || rtp.count < Self.maximumRTPSources }

    /// After an RTP packet of `ssrc` authenticated: whether its libsrtp stream stays (`true`) or must be forgotten.
    mutating func rtpAuthenticated(from ssrc: UInt32, isWanted: Bool) -> Bool {
        if rtp.contains(ssrc) { return true }
        if isWanted && rtp.count < Self.maximumRTPSources {
            rtp.insert(ssrc)
            return true
        }
        return rtcpOnly.contains(ssrc)
    }

    /// After an RTCP packet from `ssrc` authenticated: whether its libsrtp stream stays or must be forgotten.
    mutating func rtcpAuthenticated(from ssrc: UInt32) -> Bool {
        if keeps(ssrc) { return true }
        guard rtcpOnly.count < Self.maximumRTCPOnlySources else { return false }
        rtcpOnly.insert(ssrc)
        return true
    }
}
