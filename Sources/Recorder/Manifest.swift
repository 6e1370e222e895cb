#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Mesh

/// `manifest.json`: what a session recorded, for people and for tools. The bot rewrites it
/// (atomically) whenever a connection starts, a track starts, or a file is finalized.
public struct Manifest: Codable, Sendable, Equatable {
    public struct Track: Codable, Sendable, Equatable {
        public var kind: String
        public var codec: String
        public var ssrc: UInt32
        public var payloadType: UInt8
        public var clockRate: UInt32
        public var firstPacketAt: String?
        public var lastPacketAt: String?
        public var firstRTPTimestamp: UInt32?
        public var lastRTPTimestamp: UInt32?
        public var packetsReceived: Int
        public var packetsLost: Int
        public var framesWritten: Int

        public init(track: MediaTrack) {
            kind = track.kind.rawValue
            codec = track.codec.rawValue
            ssrc = track.ssrc
            payloadType = track.payloadType
            clockRate = track.clockRate
            packetsReceived = 0
            packetsLost = 0
            framesWritten = 0
        }
    }

    /// Loss repair on one connection as the bot saw it, counted from the connection's start: how much the
    /// network lost on the way in and how much of that came back before the recording had to give up on it.
    public struct Repair: Codable, Sendable, Equatable {
        /// RTCP generic NACKs (RFC 4585) we sent, and the sequence numbers they asked for (repeats included).
        public var nacksSent: Int
        public var packetsRequested: Int
        /// Packets we had asked for that then arrived (as RTX or as a plain resend).
        public var packetsRecovered: Int
        /// Packets we stopped asking for: asked too often, missing too long, or beyond the log's bound.
        public var packetsGivenUp: Int
        /// RTX packets (RFC 4588) that carried media.
        public var retransmissionsReceived: Int
        /// Keyframe requests we sent: PLI, and FIR when a PLI went unanswered.
        public var pictureLossIndicationsSent: Int
        public var fullIntraRequestsSent: Int
        /// The other way: sequence numbers the peer asked of our own tile, and how many we sent again.
        public var packetsAskedOfUs: Int
        public var retransmissionsSent: Int

        public init(_ statistics: PeerConnectionStatistics) {
            nacksSent = statistics.repair.nacksSent
            packetsRequested = statistics.repair.packetsRequested
            packetsRecovered = statistics.repair.packetsRepaired
            packetsGivenUp = statistics.repair.packetsAbandoned
            retransmissionsReceived = statistics.repair.retransmissionsReceived
            pictureLossIndicationsSent = statistics.keyframeRequestsSent
            fullIntraRequestsSent = statistics.fullIntraRequestsSent
            packetsAskedOfUs = statistics.repair.packetsAskedOfUs
            retransmissionsSent = statistics.repair.retransmissionsSent
        }
    }

    public struct Connection: Codable, Sendable, Equatable {
        public var id: String
        public var participant: String
        public var kind: String
        public var role: String
        public var startedAt: String
        public var endedAt: String?
        public var endReason: String?
        /// File names inside the session folder.
        public var files: [String]
        /// Where the file's zero lies on the session's timeline: milliseconds after `Manifest.startedAt`
        /// (docs/timeline.md). Files laid side by side by these offsets show the same instant together.
        public var timelineOffsetMilliseconds: Int64?
        /// Wall-clock time of the file's zero, as its WebM DateUTC says.
        public var fileStartedAt: String?
        /// Why the recording stopped before the connection ended (a write failed: disk full, I/O error), and how
        /// the file was left. Absent when the recording ran to the end.
        public var recordingStopped: String?
        public var tracks: [Track]
        /// Absent until the connection's counters were first read (with the recorder's first report).
        public var repair: Repair?

        public init(id: String, participant: String, kind: String, role: String, startedAt: String, files: [String]) {
            self.id = id
            self.participant = participant
            self.kind = kind
            self.role = role
            self.startedAt = startedAt
            self.files = files
            self.tracks = []
        }
    }

    public var room: String
    public var bot: String
    public var startedAt: String
    public var endedAt: String?
    public var connections: [Connection]

    public init(room: String, bot: String, startedAt: String) {
        self.room = room
        self.bot = bot
        self.startedAt = startedAt
        self.connections = []
    }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(self))) ?? []
    }

    /// Records where a connection's file starts on the session's timeline.
    public mutating func place(connection id: String, timelineOffsetMilliseconds: Int64, fileStartedAt: String) {
        guard let index = connections.firstIndex(where: { $0.id == id }) else { return }
        connections[index].timelineOffsetMilliseconds = timelineOffsetMilliseconds
        connections[index].fileStartedAt = fileStartedAt
    }

    /// Replaces the repair counters of the newest connection with this id (ids repeat when a peer reconnects).
    public mutating func update(connection id: String, repair: Repair) {
        guard let index = connections.lastIndex(where: { $0.id == id }) else { return }
        connections[index].repair = repair
    }

    /// Folds a recorder's per-track statistics into the connection's track list.
    public mutating func update(connection id: String, statistics: [ParticipantRecorder.TrackStatistics],
                                wallClock: (Timestamp) -> String) {
        guard let index = connections.firstIndex(where: { $0.id == id }) else { return }
        for entry in statistics {
            var track = connections[index].tracks.first { $0.ssrc == entry.track.ssrc } ?? Track(track: entry.track)
            track.firstPacketAt = entry.firstPacketAt.map(wallClock)
            track.lastPacketAt = entry.lastPacketAt.map(wallClock)
            track.firstRTPTimestamp = entry.firstRTPTimestamp
            track.lastRTPTimestamp = entry.lastRTPTimestamp
            track.packetsReceived = entry.jitter.packetsReceived
            track.packetsLost = entry.jitter.lost
            track.framesWritten = entry.framesWritten
            if let existing = connections[index].tracks.firstIndex(where: { $0.ssrc == track.ssrc }) {
                connections[index].tracks[existing] = track
            } else {
                connections[index].tracks.append(track)
            }
        }
    }
}
