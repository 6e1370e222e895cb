import Foundation
import Logging
import Mesh
import MeshIO
import NIOPosix
import Testing

/// Past its join, a connection's timer is a tick of its socket's one timer (`SharedDatagramSocket.wake`):
/// that timer must go on firing every member, over real sockets on a real event loop.
@Suite struct SharedSocketTimerTests {
    @Test func everyConnectionPastItsJoinKeepsReporting() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let logger = Logger(label: "shared-socket-timer-test")
        let offering = SharedDatagramSockets(host: "127.0.0.1", logger: logger)
        var answerings: [SharedDatagramSockets] = []
        var channels: [PeerConnectionChannel] = []
        // Three pairs: the three offerers share one socket (one loop, one kind), as a meeting's connections do;
        // each answerer has its own, since one socket routes by the peer's address (docs/architecture.md).
        for index in 0..<3 {
            let answering = SharedDatagramSockets(host: "127.0.0.1", logger: logger)
            answerings.append(answering)
            let offererCertificate = try DTLSCertificate()
            let answererCertificate = try DTLSCertificate()
            let offerer = try await PeerConnectionChannel.open(
                key: ConnectionKey(remoteChannel: "answerer-\(index)", kind: .camera), sockets: offering, group: group,
                logger: logger, events: { _, _ in },
                makeConnection: { address, now in
                    PeerConnection(offeringWith: PeerConnectionConfiguration(
                        certificate: offererCertificate, localAddress: address, cname: "offerer-\(index)", sendsMedia: true), at: now)
                })
            let offer = try await offerer.withConnection { connection, _ in connection.localDescription }
            let answerer = try await PeerConnectionChannel.open(
                key: ConnectionKey(remoteChannel: "offerer-\(index)", kind: .camera), sockets: answering, group: group,
                logger: logger, events: { _, _ in },
                makeConnection: { address, now in
                    try PeerConnection(answering: offer, configuration: PeerConnectionConfiguration(
                        certificate: answererCertificate, localAddress: address, cname: "answerer-\(index)", sendsMedia: true), at: now)
                })
            let answer = try await answerer.withConnection { connection, _ in connection.localDescription }
            try await offerer.withConnection { connection, now in try connection.applyAnswer(answer, at: now) }
            channels += [offerer, answerer]
        }

        func joining() async throws -> Int {
            var count = 0
            for channel in channels where try await channel.withConnection({ connection, _ in connection.isJoining }) {
                count += 1
            }
            return count
        }
        for _ in 0..<100 where try await joining() > 0 {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await joining() == 0, "every connection completes its join within 10 s")

        // Receiver reports go out about once a second on each connection's timer, now the socket's.
        var before: [Int] = []
        for channel in channels {
            before.append(try await channel.withConnection { connection, _ in connection.statistics.rtcpPackets })
        }
        try await Task.sleep(for: .seconds(4))
        for (index, channel) in channels.enumerated() {
            let after = try await channel.withConnection { connection, _ in connection.statistics.rtcpPackets }
            #expect(after - before[index] >= 2, "connection \(index): \(before[index]) RTCP packets, then \(after)")
        }

        for channel in channels { await channel.close() }
        await offering.close()
        for answering in answerings { await answering.close() }
        try await group.shutdownGracefully()
    }
}
