import Foundation
import Logging
import Mesh
import Recorder

/// The session's `manifest.json`, kept current: rewritten whole (atomically) on every change, so a
/// reader, or a killed bot, always leaves a complete one. Counters are the exception: every recording reports
/// them every 5 s, which at 100 recordings was 20 rewrites of the whole manifest a second (most of the meeting
/// actor's CPU), so they go out with the next rewrite, and by themselves at most every
/// `statisticsWriteInterval`.
struct ManifestKeeper {
    static let statisticsWriteInterval: Duration = .seconds(2)

    private(set) var manifest: Manifest
    private let session: SessionFolder?
    private let clock: SessionClock
    private let logger: Logger
    /// Updates that could not be written since the last one that could (disk full): logged on the first and
    /// when writing works again, not on each of the updates in between.
    private var failedWrites = 0
    /// While held (the bot leaving, every recording reporting at once), changes are written once on release
    /// rather than once each: a hundred rewrites of a hundred connections would be most of the time it takes to leave.
    private var held = false
    private var changedWhileHeld = false
    private var lastWrite: ContinuousClock.Instant?
    /// Counters reported since the last rewrite that are not in the file yet.
    private(set) var statisticsPending = false

    init(room: String, bot: String, session: SessionFolder?, clock: SessionClock, logger: Logger) {
        manifest = Manifest(room: room, bot: bot, startedAt: ISOTime.string(clock.wall))
        self.session = session
        self.clock = clock
        self.logger = logger
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
        connectionsEnded([key], reason: reason, statistics: statistics.map { [key: $0] } ?? [:])
    }

    /// Several at once (the bot leaving) with one rewrite of the file; each with its connection's last counters.
    mutating func connectionsEnded(_ keys: [ConnectionKey], reason: String,
                                   statistics: [ConnectionKey: PeerConnectionStatistics]) {
        let now = ISOTime.string(Date())
        var changed = false
        for key in keys {
            if let counters = statistics[key] {
                manifest.update(connection: key.description, repair: Manifest.Repair(counters))
                changed = true
            }
            guard let index = manifest.connections.lastIndex(where: { $0.id == key.description && $0.endedAt == nil }) else {
                continue
            }
            manifest.connections[index].endedAt = now
            manifest.connections[index].endReason = reason
            changed = true
        }
        if changed { write() }
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
        if let lastWrite, ContinuousClock.now - lastWrite < Self.statisticsWriteInterval {
            statisticsPending = true
            return
        }
        write()
    }

    mutating func recordingStopped(_ key: ConnectionKey, reason: String) {
        guard let index = manifest.connections.lastIndex(where: { $0.id == key.description }) else { return }
        manifest.connections[index].recordingStopped = reason
        write()
    }

    mutating func meetingEnded() {
        manifest.endedAt = ISOTime.string(Date())
        write()
    }

    mutating func hold() { held = true }

    mutating func release() {
        held = false
        if changedWhileHeld {
            changedWhileHeld = false
            write()
        }
    }

    mutating func write() {
        guard let session else { return }
        guard !held else {
            changedWhileHeld = true
            return
        }
        do {
            try session.writeAtomically("manifest.json", manifest.encoded())
            lastWrite = .now
            statisticsPending = false
            if failedWrites > 0 {
                logger.warning("manifest.json written again after \(failedWrites) updates that could not be")
                failedWrites = 0
            }
        } catch {
            if failedWrites == 0 { logger.error("manifest.json could not be updated: \(error.localizedDescription)") }
            failedWrites += 1
        }
    }
}
