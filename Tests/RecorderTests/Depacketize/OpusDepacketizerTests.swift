import Mesh
import Testing
@testable import Recorder

@Suite struct OpusDepacketizerTests {
    @Test func eachPacketIsAFrame() throws {
        let packets = (0..<3).map { (index: Int) -> RTPPacket in
            let payload: [UInt8] = [0xFC, UInt8(index)]
            return RTPPacket(
                payloadType: 111, sequenceNumber: UInt16(index), timestamp: UInt32(index * 960), ssrc: 9,
                marker: index == 0, payload: payload[...])
        }
        let frames = try VP8DepacketizerTests.assemble(packets, depacketizer: OpusDepacketizer())
        #expect(frames.map(\.data) == [[0xFC, 0], [0xFC, 1], [0xFC, 2]])
        #expect(frames.map(\.rtpTimestamp) == [0, 960, 1920])
        #expect(frames.allSatisfy { $0.isKeyframe })
    }
}
