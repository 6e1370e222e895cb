import Foundation
import Mesh
import Recorder

/// The session's `manifest.json`, kept current: rewritten whole (atomically) on every change, so a
/// reader, or a killed bot, always leaves a complete one.
struct ManifestKeeper {
    private(set) var manifest: Manifest
    private let session: SessionFolder?
    private let clock: SessionClock

    init(room: String, bot: String, session: SessionFolder?, clock: SessionClock) {
        manifest = Manifest(room: room, bot: bot, startedAt: ISOTime.string(clock.wall))
        self.session = session
        self.clock = clock
    }

    mutating func connectionStarted(_ key: ConnectionKey, participant: String, role: MeetingObservation.Role,
                                    files: [String]) {
        manifest.connections.append(Manifest.Connection(
            id: key.description, participant: participant, kind: key.kind.rawValue, role: role.rawValue,
            startedAt: ISOTime.string(Date()), files: files))
        write()
    }

    mutating func trackStarted(_ key: ConnectionKey, _ track: MediaTrack) {
        guard let index = manifest.connections.lastIndex(where: { $0.id == key.description }) else { return }
        manifest.connections[index].tracks.append(Manifest.Track(track: track))
        write()
    }

    mutating func connectionEnded(_ key: ConnectionKey, reason: String, statistics: PeerConnectionStatistics?) {
        if let statistics { manifest.update(connection: key.description, repair: Manifest.Repair(statistics)) }
        guard let index = manifest.connections.lastIndex(where: { $0.id == key.description && $0.endedAt == nil }) else {
            return
        }
        manifest.connections[index].endedAt = ISOTime.string(Date())
        manifest.connections[index].endReason = reason
        write()
    }

    mutating func recordingReported(_ key: ConnectionKey, _ statistics: [ParticipantRecorder.TrackStatistics],
                                    _ placement: ParticipantRecorder.Placement?, connection: PeerConnectionStatistics?) {
        let clock = clock
        if let connection { manifest.update(connection: key.description, repair: Manifest.Repair(connection)) }
        manifest.update(connection: key.description, statistics: statistics) { ISOTime.string(clock.wallTime(of: $0)) }
        if let placement {
            manifest.place(connection: key.description, timelineOffsetMilliseconds: placement.timelineOffsetMilliseconds,
                           fileStartedAt: ISOTime.string(Date(timeIntervalSince1970: Double(placement.startUnixMilliseconds) / 1000)))
        }
        write()
    }

    mutating func meetingEnded() {
        manifest.endedAt = ISOTime.string(Date())
        write()
    }

    func write() {
        session?.writeAtomically("manifest.json", manifest.encoded())
    }
}
