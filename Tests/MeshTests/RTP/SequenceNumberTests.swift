import Testing
@testable import Mesh

@Suite struct SequenceNumberTests {
    @Test func comparesAcrossTheWrap() {
        #expect(SequenceNumber.isNewer(1, than: 0))
        #expect(SequenceNumber.isNewer(0, than: 65535))
        #expect(!SequenceNumber.isNewer(65535, than: 0))
        #expect(!SequenceNumber.isNewer(5, than: 5))
        #expect(SequenceNumber.isNewer(0x7FFF, than: 0))
        #expect(!SequenceNumber.isNewer(0x8000, than: 0))
        #expect(SequenceNumber.distance(from: 65530, to: 4) == 10)
        #expect(SequenceNumber.distance(from: 4, to: 65530) == -10)
        #expect(SequenceNumber.distance(from: 0, to: 0x8000) == -32768)
    }

    @Test func unwrapsForwardAndBackward() {
        var unwrapper = SequenceUnwrapper()
        let first = unwrapper.unwrap(65534)
        #expect(first & 0xFFFF == 65534)
        #expect(unwrapper.unwrap(65535) == first + 1)
        #expect(unwrapper.unwrap(0) == first + 2)
        #expect(unwrapper.unwrap(65533) == first - 1)  // reordered, does not move the top
        #expect(unwrapper.highest == first + 2)
        #expect(unwrapper.unwrap(1) == first + 3)
        #expect(unwrapper.peek(10) == first + 12)
        #expect(unwrapper.highest == first + 3)
    }

    @Test func packetsBeforeTheFirstStillUnwrap() {
        var unwrapper = SequenceUnwrapper()
        let first = unwrapper.unwrap(2)
        #expect(unwrapper.unwrap(65535) == first - 3)
        #expect(unwrapper.unwrap(65535) & 0xFFFF == 65535)
    }

    @Test func followsManyWraps() {
        var unwrapper = SequenceUnwrapper()
        var sequence: UInt16 = 100
        let first = unwrapper.unwrap(sequence)
        for step in 1...300_000 {
            sequence &+= 1
            #expect(unwrapper.unwrap(sequence) == first + UInt64(step))
        }
    }
}
