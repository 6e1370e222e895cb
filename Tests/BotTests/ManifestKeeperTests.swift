import Foundation
import Logging
import Mesh
@testable import Recorder
import Testing
@testable import MeetingKit

/// manifest.json stays complete and current without rewriting the whole file for every recording's counters.
@Suite struct ManifestKeeperTests {
    static func manifest(in folder: SessionFolder) throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder.path + "/manifest.json")))
    }

    @Test func countersWaitForTheNextRewriteButNoLongerThanTheInterval() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-keeper-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try SessionFolder(root: root, room: "room", start: Date())
        var keeper = ManifestKeeper(room: "ws://127.0.0.1/room", bot: "bot", session: folder, clock: .now(),
                                    logger: Logger(label: "test"))
        let key = ConnectionKey(remoteChannel: "alice-channel", kind: .camera)
        keeper.connectionStarted(key, participant: "alice", role: .answerer, files: ["alice.webm"])
        let track = MediaTrack(kind: .video, codec: .vp8, ssrc: 7, payloadType: 96, clockRate: 90_000, mid: "1")
        keeper.trackStarted(key, track)
        var statistics = ParticipantRecorder.TrackStatistics(track: track, jitter: JitterStatistics())
        statistics.jitter.packetsReceived = 300
        statistics.framesWritten = 100

        // Right after a rewrite, a report waits: the file still says nothing of it.
        keeper.recordingReported(key, [statistics], nil, connection: nil)
        #expect(keeper.statisticsPending)
        #expect(try Self.manifest(in: folder).connections.first?.tracks.first?.framesWritten == 0)

        // The next change of any kind carries it.
        keeper.recordingStopped(key, reason: "test")
        #expect(!keeper.statisticsPending)
        #expect(try Self.manifest(in: folder).connections.first?.tracks.first?.framesWritten == 100)

        // A report after the interval is written by itself.
        try await Task.sleep(for: ManifestKeeper.statisticsWriteInterval + .milliseconds(100))
        statistics.framesWritten = 160
        keeper.recordingReported(key, [statistics], nil, connection: nil)
        #expect(!keeper.statisticsPending)
        #expect(try Self.manifest(in: folder).connections.first?.tracks.first?.packetsReceived == 300)
        #expect(try Self.manifest(in: folder).connections.first?.tracks.first?.framesWritten == 160)
    }
}
