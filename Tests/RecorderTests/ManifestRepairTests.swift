import Foundation
import Mesh
import Recorder
import Testing

/// The repair counters a connection's statistics carry reach `manifest.json` under the names users read.
@Suite struct ManifestRepairTests {
    static func statistics() -> PeerConnectionStatistics {
        var statistics = PeerConnectionStatistics()
        statistics.repair.nacksSent = 12
        statistics.repair.packetsRequested = 30
        statistics.repair.packetsRepaired = 27
        statistics.repair.packetsAbandoned = 3
        statistics.repair.retransmissionsReceived = 28
        statistics.repair.packetsAskedOfUs = 5
        statistics.repair.retransmissionsSent = 4
        statistics.keyframeRequestsSent = 2
        statistics.fullIntraRequestsSent = 1
        return statistics
    }

    @Test func countersAreWrittenUnderTheirManifestNames() throws {
        var manifest = Manifest(room: "ws://127.0.0.1/", bot: "recorder", startedAt: "2026-12-04T10:00:00.000Z")
        manifest.connections.append(Manifest.Connection(id: "camera|alice", participant: "alice", kind: "camera",
                                                        role: "answerer", startedAt: "2026-12-04T10:00:01.000Z", files: []))
        manifest.update(connection: "camera|alice", repair: Manifest.Repair(Self.statistics()))

        let json = try #require(try JSONSerialization.jsonObject(with: Data(manifest.encoded())) as? [String: Any])
        let connection = try #require((json["connections"] as? [[String: Any]])?.first)
        let repair = try #require(connection["repair"] as? [String: Int])
        #expect(repair == [
            "nacksSent": 12, "packetsRequested": 30, "packetsRecovered": 27, "packetsGivenUp": 3,
            "retransmissionsReceived": 28, "pictureLossIndicationsSent": 2, "fullIntraRequestsSent": 1,
            "packetsAskedOfUs": 5, "retransmissionsSent": 4,
        ])
    }

    @Test func aReconnectedPeersCountersGoToItsNewestConnection() throws {
        var manifest = Manifest(room: "ws://127.0.0.1/", bot: "recorder", startedAt: "2026-12-04T10:00:00.000Z")
        for started in ["10:00:01", "10:00:09"] {
            manifest.connections.append(Manifest.Connection(id: "camera|alice", participant: "alice", kind: "camera",
                                                            role: "answerer", startedAt: "2026-12-04T\(started).000Z", files: []))
        }
        manifest.update(connection: "camera|alice", repair: Manifest.Repair(Self.statistics()))
        #expect(manifest.connections[0].repair == nil)
        #expect(manifest.connections[1].repair?.packetsRecovered == 27)
    }

    @Test func aManifestWithoutRepairCountersStillReads() throws {
        let manifest = Manifest(room: "ws://127.0.0.1/", bot: "recorder", startedAt: "2026-12-04T10:00:00.000Z")
        var withConnection = manifest
        withConnection.connections.append(Manifest.Connection(id: "camera|bob", participant: "bob", kind: "camera",
                                                              role: "offerer", startedAt: "2026-12-04T10:00:01.000Z", files: []))
        let decoded = try JSONDecoder().decode(Manifest.self, from: Data(withConnection.encoded()))
        #expect(decoded == withConnection)
        #expect(decoded.connections.first?.repair == nil)
    }
}
