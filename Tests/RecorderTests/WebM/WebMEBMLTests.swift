import Mesh
import Recorder
import Testing

@Suite struct WebMEBMLTests {
    static let sizeVectors: [(UInt64, [UInt8])] = [
        (0, [0x80]),
        (1, [0x81]),
        (126, [0xFE]),
        // 127 would be all ones in one byte, which means "unknown size".
        (127, [0x40, 0x7F]),
        (128, [0x40, 0x80]),
        (16_382, [0x7F, 0xFE]),
        (16_383, [0x20, 0x3F, 0xFF]),
        (2_097_150, [0x3F, 0xFF, 0xFE]),
        (2_097_151, [0x10, 0x1F, 0xFF, 0xFF]),
        (EBML.maximumSize, [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]),
    ]

    @Test(arguments: sizeVectors)
    func sizeEncodingIsShortestAndAvoidsAllOnes(value: UInt64, expected: [UInt8]) throws {
        #expect(EBML.encodeSize(value) == expected)
        var reader = ByteReader(expected)
        #expect(try EBML.readSize(&reader) == value)
        #expect(reader.isAtEnd)
    }

    @Test func sizesRoundTripAtEveryLengthBoundary() throws {
        for length in UInt64(1)...8 {
            let limit = (UInt64(1) << (7 * length)) - 1
            for value in [limit - 2, limit - 1, limit] where value <= EBML.maximumSize {
                let encoded = EBML.encodeSize(value)
                #expect(encoded.count == (value < limit ? Int(length) : Int(length) + 1))
                var reader = ByteReader(encoded)
                #expect(try EBML.readSize(&reader) == value)
            }
        }
    }

    @Test func unknownSizeReadsAsNilAtAnyLength() throws {
        for encoded in [EBML.unknownSize, [0xFF], [0x7F, 0xFF], [0x3F, 0xFF, 0xFF]] {
            var reader = ByteReader(encoded)
            #expect(try EBML.readSize(&reader) == nil)
            #expect(reader.isAtEnd)
        }
    }

    @Test func sizeReaderRejectsEveryTruncationAndTheInvalidZeroByte() {
        let encoded = EBML.encodeSize(EBML.maximumSize)
        for length in 0..<encoded.count {
            var reader = ByteReader(Array(encoded.prefix(length)))
            #expect(throws: ParseError.self) { try EBML.readSize(&reader) }
        }
        var zero = ByteReader([0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: ParseError.self) { try EBML.readSize(&zero) }
    }

    static let idVectors: [(UInt32, [UInt8])] = [
        (EBML.ID.ebml, [0x1A, 0x45, 0xDF, 0xA3]),
        (EBML.ID.timestampScale, [0x2A, 0xD7, 0xB1]),
        (EBML.ID.docType, [0x42, 0x82]),
        (EBML.ID.simpleBlock, [0xA3]),
    ]

    @Test(arguments: idVectors)
    func idsKeepTheirMarkerBits(id: UInt32, expected: [UInt8]) throws {
        #expect(EBML.encodeID(id) == expected)
        var reader = ByteReader(expected)
        #expect(try EBML.readID(&reader) == id)
        for length in 0..<expected.count {
            var truncated = ByteReader(Array(expected.prefix(length)))
            #expect(throws: ParseError.self) { try EBML.readID(&truncated) }
        }
    }

    /// The same bytes ffmpeg's libopus wrapper puts in an Ogg file for 48 kHz stereo (pre-skip 312).
    @Test func opusHeadMatchesRFC7845Layout() throws {
        let head = OpusHead.make(channels: 2, preSkip: 312, inputSampleRate: 48_000)
        #expect(head == Array("OpusHead".utf8) + [0x01, 0x02, 0x38, 0x01, 0x80, 0xBB, 0x00, 0x00, 0x00, 0x00, 0x00])
        #expect(try OpusHead.parse(head) == OpusHead.Fields(channels: 2, preSkip: 312, inputSampleRate: 48_000))
        for length in 0..<head.count {
            #expect(throws: ParseError.self) { try OpusHead.parse(head.prefix(length)) }
        }
    }
}
