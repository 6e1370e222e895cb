import Testing

@testable import Mesh

/// Congestion feedback must describe the network, not our own scheduling: a process that was busy reads a
/// burst of datagrams at one instant, and feedback stamped with that instant reports the wait as delay
/// growth, on which every sender's congestion control backs off.
@Suite struct ArrivalTimeTests {
    /// A VP8 packet carrying a transport-wide sequence number in a one-byte header extension (RFC 8285).
    private static func packet(payloadType: UInt8, sequence: UInt16, transportSequence: UInt16, ssrc: UInt32) -> [UInt8] {
        let extensionBlock: [UInt8] = [0xBE, 0xDE, 0x00, 0x01, transportWideExtensionID << 4 | 1,
                                       UInt8(transportSequence >> 8), UInt8(transportSequence & 0xFF), 0]
        return TestRTP.vp8(payloadType: payloadType, sequence: sequence, ssrc: ssrc, hasExtension: true,
                           afterHeader: extensionBlock, payloadBytes: 300)
    }

    /// The id our offer gives the transport-wide sequence number extension.
    private static let transportWideExtensionID: UInt8 = 3

    @Test func feedbackReportsWhenDatagramsArrivedNotWhenTheyWereRead() throws {
        var pair = try PeerPair(offererSendsMedia: true)
        pair.run(for: .seconds(5)) { $0.offererEvents.connected && $0.answererEvents.connected }
        #expect(pair.offererEvents.connected && pair.answererEvents.connected)
        #expect(pair.offerer.localDescription.contains("a=extmap:\(Self.transportWideExtensionID) \(HeaderExtensionURI.transportWideCC)"))
        var timestamp: UInt32 = 0
        for _ in 0..<5 {
            pair.offerer.sendFrame([0x10, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00] + Array(repeating: 7, count: 500),
                                   kind: .video, rtpTimestamp: timestamp, at: pair.now)
            timestamp &+= 3000
            pair.run(for: .milliseconds(30))
        }
        let video = try #require(pair.answererEvents.lazy.compactMap { event -> RTPPacket? in
            if case .rtp(let packet, let track, _) = event, track.kind == .video { packet } else { nil }
        }.first)
        let session = try #require(pair.offerer.srtpOutbound)

        // Ten packets that reached the socket 10 ms apart, all read in one burst after the loop was busy.
        let readAt = pair.now + .milliseconds(200)
        for index in 0..<10 {
            var bytes = Self.packet(payloadType: video.payloadType, sequence: video.sequenceNumber &+ 1000 &+ UInt16(index),
                                    transportSequence: 500 + UInt16(index), ssrc: video.ssrc)
            try session.protectRTP(&bytes)
            let arrival = pair.now + .milliseconds(Int64(index) * 10)
            pair.answerer.handleDatagram(bytes, from: pair.offererAddress, at: readAt, arrival: arrival)
        }
        var feedback: [TransportWideCongestionControl] = []
        let inbound = try #require(pair.offerer.srtpInbound)
        for step in 0..<10 where feedback.isEmpty {
            pair.answerer.handleTimeout(at: readAt + .milliseconds(Int64(step) * 50))
            drain: while true {
                switch pair.answerer.pollOutput() {
                case .transmit(var bytes, _):
                    guard bytes.count > 1, (192...223).contains(bytes[1]) else { continue }
                    try inbound.unprotectRTCP(&bytes)
                    for packet in try RTCPCompound.parse(bytes) {
                        if case .transportWideCongestionControl(let report) = packet { feedback.append(report) }
                    }
                case .event:
                    continue
                case .timeout:
                    break drain
                }
            }
        }
        let arrivals = feedback.flatMap(\.arrivals).filter { (500..<510).contains($0.sequenceNumber) }
        #expect(arrivals.count == 10, "feedback: \(feedback)")
        let gaps = zip(arrivals.dropFirst(), arrivals).map { ($0.arrival - $1.arrival) }
        #expect(gaps.allSatisfy { $0 == .milliseconds(10) }, "gaps between arrivals reported: \(gaps)")
    }
}
