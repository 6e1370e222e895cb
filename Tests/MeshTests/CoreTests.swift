import Testing
@testable import Mesh

@Suite struct CoreTests {
    @Test func readerThrowsOnTruncation() throws {
        var reader = ByteReader([0x01, 0x02, 0x03])
        #expect(throws: ParseError.self) { try reader.readUInt32() }
        #expect(try reader.readUInt16() == 0x0102)
    }

    @Test func writerRoundTrips() throws {
        var writer = ByteWriter()
        writer.write(UInt16(0xbeef))
        writer.write(UInt32(0x0102_0304))
        writer.writeUInt24(0xabcdef)
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readUInt16() == 0xbeef)
        #expect(try reader.readUInt32() == 0x0102_0304)
        #expect(try reader.readUInt24() == 0xabcdef)
        #expect(reader.isAtEnd)
    }

    /// Durations a request may carry (`/every 9999999999s`) reach `nanoseconds`, which multiplied without a
    /// check and trapped beyond ±292 years; it saturates now, as its documentation always said.
    @Test func durationNanosecondsSaturate() {
        #expect(Duration.seconds(9_999_999_999).nanoseconds == .max)
        #expect(Duration.seconds(-9_999_999_999).nanoseconds == .min)
        #expect(Duration.seconds(Int64.max).secondsValue == Double(Int64.max) / 1e9)
        #expect(Duration.seconds(9_223_372_036).nanoseconds + 0 == 9_223_372_036_000_000_000)
        #expect((Duration.seconds(9_223_372_036) + .milliseconds(999)).nanoseconds == .max)
        #expect(Duration.milliseconds(-1500).nanoseconds == -1_500_000_000)
    }

    @Test func addressesParse() {
        #expect(TransportAddress(host: "127.0.0.1", port: 5)?.addressBytes == [127, 0, 0, 1])
        #expect(TransportAddress(host: "::1", port: 5)?.addressBytes == Array(repeating: 0, count: 15) + [1])
        #expect(TransportAddress(host: "fe80::1:2", port: 1)?.host == "fe80:0:0:0:0:0:1:2")
        #expect(TransportAddress(host: "256.0.0.1", port: 5) == nil)
        #expect(TransportAddress(host: "1::2::3", port: 5) == nil)
    }

    @Test func hashesMatchKnownVectors() {
        // RFC 2202 test case 2 and the CRC-32 check value.
        let mac = Crypto.hmacSHA1(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
        #expect(mac.hexString == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        #expect(Crypto.crc32(Array("123456789".utf8)) == 0xcbf4_3926)
        #expect(Crypto.sha256(Array("abc".utf8)).hexString.hasPrefix("ba7816bf"))
    }
}

@Suite struct DemuxTests {
    @Test func classifiesByFirstByte() {
        #expect(DatagramKind(classifying: [0x00, 0x01]) == .stun)
        #expect(DatagramKind(classifying: [22, 0xfe, 0xfd]) == .dtls)
        #expect(DatagramKind(classifying: [0x80, 96]) == .rtp)
        #expect(DatagramKind(classifying: [0x80, 0xe0]) == .rtp)  // payload type 96 with the marker bit
        #expect(DatagramKind(classifying: [0x81, 201]) == .rtcp)
        #expect(DatagramKind(classifying: [0x80]) == .unknown)
        #expect(DatagramKind(classifying: []) == .unknown)
        #expect(DatagramKind(classifying: [0xff, 0]) == .unknown)
    }
}
