import Foundation
import MeetingKit
import Recorder

/// A recording as the API shows it (`GET /v1/recordings/{id}`; the schema `Recording` in openapi.json).
public struct RecordingView: Encodable, Sendable {
    public struct File: Encodable, Sendable {
        public var name: String
        public var participant: String
        public var kind: String
        /// `recording` while the connection lasts, `finalized` once it ended and the file was closed,
        /// `uploaded` once the bucket confirmed it.
        public var state: String
        public var bytes: Int
        public var durationSeconds: Double?
        public var packetsReceived: Int
        public var packetsLost: Int
        /// Lost on the way and recovered by a retransmission (NACK/RTX).
        public var packetsRepaired: Int
        /// PLI and FIR the bot sent on this connection.
        public var keyframeRequests: Int
        public var framesWritten: Int

        enum CodingKeys: String, CodingKey {
            case name, participant, kind, state, bytes
            case durationSeconds = "duration_seconds"
            case packetsReceived = "packets_received"
            case packetsLost = "packets_lost"
            case packetsRepaired = "packets_repaired"
            case keyframeRequests = "keyframe_requests"
            case framesWritten = "frames_written"
        }
    }

    public var id: String
    public var state: RecordingState
    public var failure: String?
    public var roomURL: String
    public var botName: String
    public var createdAt: String
    public var endedAt: String?
    public var metadata: [String: String]
    public var sessionPath: String?
    /// Participants with an open connection to the bot now.
    public var participants: [String]
    public var files: [File]
    public var packetsReceived: Int
    public var packetsLost: Int
    public var packetsRepaired: Int
    public var keyframeRequests: Int
    public var bytesWritten: Int

    enum CodingKeys: String, CodingKey {
        case id, state, failure, metadata, participants, files
        case roomURL = "room_url"
        case botName = "bot_name"
        case createdAt = "created_at"
        case endedAt = "ended_at"
        case sessionPath = "session_path"
        case packetsReceived = "packets_received"
        case packetsLost = "packets_lost"
        case packetsRepaired = "packets_repaired"
        case keyframeRequests = "keyframe_requests"
        case bytesWritten = "bytes_written"
    }

    /// Files and counts read from the meeting's manifest; sizes from the disk.
    static func files(of snapshot: MeetingSnapshot, isUploaded: (String) -> Bool) -> [File] {
        var files: [File] = []
        for connection in snapshot.manifest.connections {
            for name in connection.files {
                let path = snapshot.sessionPath.map { ($0 as NSString).appendingPathComponent(name) }
                let bytes = path.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int } ?? 0
                files.append(File(
                    name: name, participant: connection.participant, kind: connection.kind,
                    state: connection.endedAt == nil ? "recording" : path.map(isUploaded) == true ? "uploaded" : "finalized",
                    bytes: bytes,
                    durationSeconds: duration(of: connection.tracks),
                    packetsReceived: connection.tracks.reduce(0) { $0 + $1.packetsReceived },
                    packetsLost: connection.tracks.reduce(0) { $0 + $1.packetsLost },
                    packetsRepaired: connection.repair?.packetsRecovered ?? 0,
                    keyframeRequests: (connection.repair?.pictureLossIndicationsSent ?? 0)
                        + (connection.repair?.fullIntraRequestsSent ?? 0),
                    framesWritten: connection.tracks.reduce(0) { $0 + $1.framesWritten }))
            }
        }
        return files
    }

    /// The longest track's span by its RTP clock (the manifest's first and last timestamps).
    private static func duration(of tracks: [Manifest.Track]) -> Double? {
        let spans = tracks.compactMap { track -> Double? in
            guard let first = track.firstRTPTimestamp, let last = track.lastRTPTimestamp, track.clockRate > 0 else { return nil }
            return Double(last &- first) / Double(track.clockRate)
        }
        return spans.max()
    }
}

/// `GET /v1/recordings`.
struct RecordingList: Encodable, Sendable {
    var recordings: [RecordingView]
}

/// `POST /v1/recordings/{id}/chat`: how many participants' chat channels took the line.
struct ChatDelivery: Encodable, Sendable {
    var delivered: Int
}
