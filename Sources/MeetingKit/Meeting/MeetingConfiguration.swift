import Foundation
import Mesh
import MeshIO
import OperatorInput

extension Meeting {
    /// What one run of the bot in one room does: where, as whom, what it records, says and sends.
    public struct Configuration: Sendable {
        public var roomURL: RoomURL
        public var name: String
        public var outputRoot: String
        public var interface: String
        /// Lines to post as soon as the first camera channel opens.
        public var say: [String]
        public var news: NewsSettings?
        /// False for a bot that only posts: no files, no recordings.
        public var records: Bool
        /// Announcements repeated on a schedule (`--announce-every`, `--announce-at`).
        public var schedules: [AnnouncementSchedule]
        /// Sees every step of every connection: for probes (`check`) and progress displays.
        public var observer: (@Sendable (MeetingObservation) -> Void)?
        /// Whether the observer also sees every media packet (`check` reads keyframe headers); off by
        /// default because it is one call per packet.
        public var observesMedia = false
        // Synthetic participants (crowd, demo): what they send, what they share, whom they connect to.
        /// What camera connections carry; nil: the bot's slate.
        public var tileSource: TileSourceFactory?
        /// A "screen" to share right after joining (docs/room-protocol.md, screen sharing); nil shares nothing.
        public var screenSource: TileSourceFactory?
        /// Whether to connect to a peer (by name) at all; nil: everyone, as a browser does. A crowd skips its
        /// own members, so N synthetic senders cost N connections to the recorder rather than a full mesh.
        public var connectsTo: (@Sendable (String) -> Bool)?
        /// Sees the size of every RTP packet received, for bitrate displays.
        public var packetTap: (@Sendable (ConnectionKey, Int) -> Void)?
        /// Whether SIGINT/SIGTERM end this meeting (a command owns its process); a service stops each
        /// recording itself.
        public var stopsOnSignals = true
        /// How many failed first connections to the room server end the meeting as unreachable; nil: keep
        /// trying (a bot started by hand waits for its room).
        public var joinAttempts: Int?
        /// Negotiate NACK and RTX on every connection (`PeerConnectionConfiguration.lossRepair`); off only to
        /// measure what loss repair is worth (`join --no-loss-repair`).
        public var lossRepair = true

        public init(roomURL: RoomURL, name: String, outputRoot: String, interface: String, say: [String] = [],
                    news: NewsSettings? = nil, records: Bool = true, schedules: [AnnouncementSchedule] = []) {
            self.roomURL = roomURL
            self.name = name
            self.outputRoot = outputRoot
            self.interface = interface
            self.say = say
            self.news = news
            self.records = records
            self.schedules = schedules
        }
    }

    /// Posting news from feeds (`--news`): which feeds, how often, whether on joining, how many items at once.
    public struct NewsSettings: Sendable {
        public var feeds: [URL]
        public var period: Duration
        public var onJoin: Bool
        public var maximumPerPost: Int

        public init(feeds: [URL], period: Duration, onJoin: Bool, maximumPerPost: Int) {
            self.feeds = feeds
            self.period = period
            self.onJoin = onJoin
            self.maximumPerPost = maximumPerPost
        }
    }
}
