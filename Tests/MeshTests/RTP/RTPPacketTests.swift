import Testing
@testable import Mesh

@Suite struct RTPPacketTests {
    /// Shaped like Chromium's video packets: one-byte extensions (abs-send-time id 2,
    /// transport-wide seq id 3, a 1-byte element) padded to a word, a 2-byte payload.
    static let chromiumLike: [UInt8] = [
        0x90, 0xE0, 0x12, 0x34,  // V=2 X, M PT=96, seq 0x1234
        0x00, 0x01, 0xE2, 0x40,  // timestamp 123456
        0xDE, 0xAD, 0xBE, 0xEF,  // SSRC
        0xBE, 0xDE, 0x00, 0x03,  // one-byte form, 3 words
        0x22, 0x01, 0x02, 0x03,  // id 2, 3 bytes
        0x31, 0x00, 0x07,  // id 3, 2 bytes
        0x40, 0x09,  // id 4, 1 byte
        0x00, 0x00, 0x00,  // padding
        0x90, 0x01,  // payload
    ]

    @Test func parsesOneByteExtensions() throws {
        let packet = try RTPPacket(parsing: Self.chromiumLike)
        #expect(packet.marker)
        #expect(packet.payloadType == 96)
        #expect(packet.sequenceNumber == 0x1234)
        #expect(packet.timestamp == 123_456)
        #expect(packet.ssrc == 0xDEAD_BEEF)
        #expect(packet.csrcs.isEmpty)
        #expect(packet.extensionProfile == 0xBEDE)
        #expect(packet.extensions.map(\.id) == [2, 3, 4])
        #expect(Array(packet.extensionData(id: 2) ?? []) == [1, 2, 3])
        #expect(Array(packet.extensionData(id: 3) ?? []) == [0, 7])
        #expect(Array(packet.extensionData(id: 4) ?? []) == [9])
        #expect(packet.extensionData(id: 5) == nil)
        #expect(Array(packet.payload) == [0x90, 0x01])
        #expect(packet.serialized() == Self.chromiumLike)
    }

    @Test func parsesTwoByteExtensionsCSRCsAndPadding() throws {
        let bytes: [UInt8] = [
            0xB2, 0x6F, 0xFF, 0xFF,  // V=2 P X CC=2, PT=111, seq 65535
            0xFF, 0xFF, 0xFF, 0xFF,
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x0A,  // CSRC 10
            0x00, 0x00, 0x00, 0x0B,  // CSRC 11
            0x10, 0x05, 0x00, 0x02,  // two-byte form with appbits 5, 2 words
            0x20, 0x00,  // id 32, empty
            0x07, 0x03, 0xAA, 0xBB, 0xCC,  // id 7, 3 bytes
            0x00,  // padding
            0x01, 0x02, 0x03,  // payload
            0x00, 0x00, 0x03,  // RTP padding, count 3
        ]
        let packet = try RTPPacket(parsing: bytes)
        #expect(!packet.marker)
        #expect(packet.payloadType == 111)
        #expect(packet.sequenceNumber == 65535)
        #expect(packet.csrcs == [10, 11])
        #expect(packet.extensionProfile == 0x1005)
        #expect(packet.extensions == [
            RTPHeaderExtension(id: 32, data: []),
            RTPHeaderExtension(id: 7, data: [0xAA, 0xBB, 0xCC]),
        ])
        #expect(packet.paddingLength == 3)
        #expect(Array(packet.payload) == [1, 2, 3])
        #expect(packet.serialized() == bytes)
        #expect(packet.serializedCount == bytes.count)
    }

    @Test func paddingOnlyPacketHasEmptyPayload() throws {
        var bytes: [UInt8] = [0xA0, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2]
        bytes += [UInt8](repeating: 0, count: 254) + [255]
        let packet = try RTPPacket(parsing: bytes)
        #expect(packet.payload.isEmpty)
        #expect(packet.paddingLength == 255)
        #expect(packet.serialized() == bytes)
    }

    @Test func oneByteIdFifteenStopsParsing() throws {
        let bytes: [UInt8] = [
            0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2,
            0xBE, 0xDE, 0x00, 0x01, 0x10, 0x05, 0xF3, 0x00, 0x77,
        ]
        let packet = try RTPPacket(parsing: bytes)
        #expect(packet.extensions == [RTPHeaderExtension(id: 1, data: [0x05])])
        #expect(Array(packet.payload) == [0x77])
    }

    @Test func oneByteIdZeroIsPaddingWhateverItsLength() throws {
        // Found by the rtp fuzz target: 0x02 (id 0, length 3) became an id-0 element, which serializes as
        // a two-byte block with another meaning.
        let bytes: [UInt8] = [
            0x90, 0x6F, 0, 7, 0, 0, 3, 0xC0, 0, 0, 0, 0x2A,
            0xBE, 0xDE, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0xFC, 0xFF, 0xFE,
        ]
        let packet = try RTPPacket(parsing: bytes)
        #expect(packet.extensions.isEmpty)
        #expect(Array(packet.payload) == [0xFC, 0xFF, 0xFE])
        #expect(try RTPPacket(parsing: packet.serialized()) == packet)
    }

    @Test func unknownProfileKeepsTheRawBlock() throws {
        let bytes: [UInt8] = [
            0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2,
            0x12, 0x34, 0x00, 0x01, 0xDE, 0xAD, 0xBE, 0xEF, 0x55,
        ]
        let packet = try RTPPacket(parsing: bytes)
        #expect(packet.extensionProfile == 0x1234)
        #expect(packet.extensions == [RTPHeaderExtension(id: 0, data: [0xDE, 0xAD, 0xBE, 0xEF])])
        #expect(packet.serialized() == bytes)
    }

    @Test func everyTruncationOfTheHeaderThrows() throws {
        // Everything before the payload is length-delimited, so each cut there must throw.
        let headerLength = Self.chromiumLike.count - 2
        for length in 0..<headerLength {
            #expect(throws: ParseError.self, "cut at \(length)") {
                try RTPPacket(parsing: Self.chromiumLike[0..<length])
            }
        }
        // With CSRCs and a two-byte block too.
        let built = Self.builtWithEverything().serialized()
        let builtHeader = built.count - 3 - 4
        for length in 0..<builtHeader {
            #expect(throws: ParseError.self, "cut at \(length)") {
                try RTPPacket(parsing: built[0..<length])
            }
        }
    }

    @Test func truncatedPaddingThrowsOrShortensPayload() throws {
        // RTP has no length field: a cut inside the payload can only be caught by a padding
        // count that no longer fits; otherwise the payload just comes out shorter.
        let bytes = Self.builtWithEverything().serialized()
        for length in 0..<bytes.count {
            if let packet = try? RTPPacket(parsing: bytes[0..<length]) {
                #expect(packet.payload.count + packet.paddingLength <= 3 + 4)
            }
        }
    }

    @Test func rejectsWrongVersionAndBadPadding() {
        #expect(throws: ParseError.self) { try RTPPacket(parsing: [0x40, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2]) }
        #expect(throws: ParseError.self) { try RTPPacket(parsing: [0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2]) }
        #expect(throws: ParseError.self) { try RTPPacket(parsing: [0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0x00]) }
        #expect(throws: ParseError.self) { try RTPPacket(parsing: [0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0x09, 0x03]) }
    }

    static func builtWithEverything() -> RTPPacket {
        var packet = RTPPacket(
            payloadType: 100, sequenceNumber: 7, timestamp: 0xCAFE_BABE, ssrc: 42, marker: true,
            extensions: [
                RTPHeaderExtension(id: 1, data: [1]),
                RTPHeaderExtension(id: 200, data: [2, 3]),
            ],
            payload: [9, 8, 7])
        packet.csrcs = [1, 2, 3]
        packet.paddingLength = 4
        return packet
    }

    @Test func builderPicksTheExtensionForm() throws {
        let small = RTPPacket(
            payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3,
            extensions: [RTPHeaderExtension(id: 3, data: [0, 1])], payload: [0xAB])
        let smallBytes = small.serialized()
        #expect(Array(smallBytes[12..<14]) == [0xBE, 0xDE])
        let reparsed = try RTPPacket(parsing: smallBytes)
        #expect(reparsed.extensions == small.extensions)
        #expect(reparsed.payload == small.payload)

        let wide = Self.builtWithEverything()
        let wideBytes = wide.serialized()
        #expect(Array(wideBytes[24..<26]) == [0x10, 0x00])
        var again = try RTPPacket(parsing: wideBytes)
        #expect(again.extensionProfile == 0x1000)
        again.extensionProfile = nil
        #expect(again == wide)
        #expect(again.serialized() == wideBytes)

        let plain = RTPPacket(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: [])
        #expect(plain.serialized() == [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func payloadIsAViewIntoTheInput() throws {
        let datagram: [UInt8] = [0xFF, 0xFF] + Self.chromiumLike
        let packet = try RTPPacket(parsing: datagram[2...])
        #expect(packet.payload.startIndex == datagram.count - 2)
        #expect(packet.serialized() == Self.chromiumLike)
    }
}
