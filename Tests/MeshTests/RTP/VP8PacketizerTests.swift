import Testing
@testable import Mesh

@Suite struct VP8PacketizerTests {
    @Test func splitsEvenlyWithDescriptors() {
        var packetizer = VP8Packetizer(maxPayloadSize: 104, pictureID: 0x7FFF)
        let frame = (0..<250).map { UInt8(truncatingIfNeeded: $0) }
        let payloads = packetizer.packetize(frame[...])
        #expect(payloads.map(\.count) == [84 + 4, 83 + 4, 83 + 4])
        #expect(Array(payloads[0].prefix(4)) == [0x90, 0x80, 0xFF, 0xFF])
        #expect(Array(payloads[1].prefix(4)) == [0x80, 0x80, 0xFF, 0xFF])
        #expect(payloads.flatMap { $0.dropFirst(4) } == frame)
        #expect(payloads.allSatisfy { $0.count <= 104 })
        #expect(packetizer.pictureID == 0)  // wrapped at 2^15
        let next = packetizer.packetize([1, 2, 3])
        #expect(next == [[0x90, 0x80, 0x80, 0x00, 1, 2, 3]])
        #expect(packetizer.packetize([]).isEmpty)
    }
}
