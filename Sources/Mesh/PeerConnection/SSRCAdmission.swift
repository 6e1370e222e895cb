/// Which incoming RTP sources a connection keeps state for.
///
/// Every SSRC a peer sends on would otherwise cost a statistics entry, a report block in each
/// receiver report, a REMB entry and, downstream, a recording track: a peer that invents SSRCs
/// could grow all of them without limit. So a source is admitted only when the negotiation
/// announced it (`a=ssrc`, including the RTX SSRC of an `a=ssrc-group:FID`), or, on an m-line
/// whose peer announced no SSRC at all (peers that identify streams by mid only), when it is
/// among the first few seen there. Above all, a connection never holds more than
/// `maximumSources`. Everything else is refused: counted, and reported at the 1st, 10th, 100th…
/// refused packet so a flood costs a handful of log lines.
struct SSRCAdmission: Sendable {
    /// A browser sends one stream per m-line, three with simulcast; a few more allow a sender
    /// that restarts its encoder under a new SSRC without renegotiating.
    static let unannouncedPerMediaLine = 4
    /// Enough for audio, camera and screen share with simulcast and RTX, with room to spare.
    static let maximumSources = 32

    enum Decision: Equatable, Sendable {
        case admitted
        /// `report` is set when this refusal deserves a log line.
        case refused(report: String?)
    }

    /// Per m-line (mid), the SSRCs the peer announced on it.
    private var announcedByMediaLine: [String: Set<UInt32>] = [:]
    private var announced: Set<UInt32> = []
    private(set) var admitted: Set<UInt32> = []
    private var unannouncedAdmitted: [String: Int] = [:]
    private(set) var refusedPackets = 0

    init() {}

    init(_ session: NegotiatedSession) {
        for media in session.accepted where media.direction.receives {
            var ssrcs: Set<UInt32> = []
            for stream in media.remoteStreams {
                ssrcs.insert(stream.ssrc)
                if let rtx = stream.rtxSSRC { ssrcs.insert(rtx) }
            }
            announcedByMediaLine[media.mid, default: []].formUnion(ssrcs)
            announced.formUnion(ssrcs)
        }
    }

    /// Whether the negotiation named `ssrc` (as a media or an RTX stream).
    func isAnnounced(_ ssrc: UInt32) -> Bool { announced.contains(ssrc) }

    /// Decides on one packet of `ssrc` that routed to `track` by payload type.
    mutating func admit(_ ssrc: UInt32, on track: MediaTrack) -> Decision {
        if admitted.contains(ssrc) { return .admitted }
        let mediaLine = track.mid ?? ""
        let reason: String
        if admitted.count >= Self.maximumSources {
            reason = "this connection already has \(Self.maximumSources) sources"
        } else if announced.contains(ssrc) {
            admitted.insert(ssrc)
            return .admitted
        } else if let named = announcedByMediaLine[mediaLine], !named.isEmpty {
            reason = "m-line \(mediaLine.logSafe) announced its SSRCs and this is not one of them"
        } else if unannouncedAdmitted[mediaLine, default: 0] < Self.unannouncedPerMediaLine {
            unannouncedAdmitted[mediaLine, default: 0] += 1
            admitted.insert(ssrc)
            return .admitted
        } else {
            reason = "m-line \(mediaLine.logSafe) already has \(Self.unannouncedPerMediaLine) unannounced sources"
        }
        refusedPackets &+= 1
        guard DropReporting.isReportWorthy(refusedPackets) else { return .refused(report: nil) }
        return .refused(report: "RTP on a source not admitted (\(refusedPackets) packets refused so far): "
                        + "\(track.kind.rawValue) ssrc \(ssrc), \(reason)")
    }
}
