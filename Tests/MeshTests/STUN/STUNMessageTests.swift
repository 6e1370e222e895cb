import Testing
@testable import Mesh

/// RFC 5769 test vectors; their padding bytes are 0x20, which the encoder is told to reproduce.
enum RFC5769 {
    static let password = "VOkJxbRl1RmTxUk/WvJxBt"
    static let transactionID = hex("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae")

    static let sampleRequest = hex("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf
        """)

    static let ipv4Response = hex("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96
        """)

    static let ipv6Response = hex("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c
        """)

    static let all = [sampleRequest, ipv4Response, ipv6Response]

    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.filter(\.isHexDigit))
        return stride(from: 0, to: digits.count - 1, by: 2).compactMap { UInt8(String(digits[$0...$0 + 1]), radix: 16) }
    }
}

@Suite struct STUNMessageTests {
    let key = STUNMessage.shortTermKey(password: RFC5769.password)

    @Test func sampleRequestDecodesVerifiesAndReencodes() throws {
        let message = try STUNMessage.decode(RFC5769.sampleRequest)
        #expect(message.messageClass == .request)
        #expect(message.method == .binding)
        #expect(message.transactionID.bytes == RFC5769.transactionID)
        #expect(message.username == "evtj:h6vY")
        #expect(message.priority == 0x6e00_01ff)
        #expect(message.iceControlled == 0x932f_f9b1_5126_3b36)
        #expect(message.attributes.first == .unknown(type: STUNAttribute.Kind.software, value: Array("STUN test client".utf8)))
        #expect(message.hasFingerprint)
        #expect(message.verifyIntegrity(key: key))
        #expect(!message.verifyIntegrity(key: Array("wrong".utf8)))
        #expect(message.encode(integrityKey: key, fingerprint: true, paddingByte: 0x20) == RFC5769.sampleRequest)
    }

    @Test func ipv4ResponseDecodesVerifiesAndReencodes() throws {
        let message = try STUNMessage.decode(RFC5769.ipv4Response)
        #expect(message.messageClass == .successResponse)
        #expect(message.xorMappedAddress == TransportAddress(host: "192.0.2.1", port: 32853))
        #expect(message.hasFingerprint)
        #expect(message.verifyIntegrity(key: key))
        #expect(message.encode(integrityKey: key, fingerprint: true, paddingByte: 0x20) == RFC5769.ipv4Response)
    }

    @Test func ipv6ResponseDecodesVerifiesAndReencodes() throws {
        let message = try STUNMessage.decode(RFC5769.ipv6Response)
        #expect(message.xorMappedAddress == TransportAddress(host: "2001:db8:1234:5678:11:2233:4455:6677", port: 32853))
        #expect(message.verifyIntegrity(key: key))
        #expect(message.encode(integrityKey: key, fingerprint: true, paddingByte: 0x20) == RFC5769.ipv6Response)
    }

    @Test func ourEncoderBuildsTheSampleResponseFromScratch() throws {
        let transactionID = try #require(STUNTransactionID(bytes: RFC5769.transactionID))
        let mapped = try #require(TransportAddress(host: "192.0.2.1", port: 32853))
        let response = STUNMessage(.successResponse, transactionID: transactionID, attributes: [
            .unknown(type: STUNAttribute.Kind.software, value: Array("test vector".utf8)),
            .xorMappedAddress(mapped),
        ])
        #expect(response.encode(integrityKey: key, fingerprint: true, paddingByte: 0x20) == RFC5769.ipv4Response)
    }

    @Test func everyTruncationThrows() {
        for vector in RFC5769.all {
            for length in 0..<vector.count {
                #expect(throws: ParseError.self, "prefix of \(length) bytes") {
                    try STUNMessage.decode(vector.prefix(length))
                }
            }
        }
    }

    @Test func lengthFieldShorterThanDatagramThrows() {
        var bytes = RFC5769.sampleRequest
        bytes.append(contentsOf: [0, 0, 0, 0])
        #expect(throws: ParseError.self) { try STUNMessage.decode(bytes) }
    }

    @Test func attributeTruncatedInsideAConsistentHeaderThrows() throws {
        // A header whose length matches the datagram, but whose last attribute claims more bytes.
        let transactionID = try #require(STUNTransactionID(bytes: RFC5769.transactionID))
        var bytes = STUNMessage(.request, transactionID: transactionID, attributes: [.priority(7)]).encode()
        bytes[22] = 0
        bytes[23] = 8
        #expect(throws: ParseError.self) { try STUNMessage.decode(bytes) }
    }

    @Test func tamperingIsDetected() throws {
        // With FINGERPRINT present, any flipped bit before it makes decoding fail.
        var tampered = RFC5769.sampleRequest
        tampered[60] ^= 0x01
        #expect(throws: ParseError.self) { try STUNMessage.decode(tampered) }

        // Without FINGERPRINT, the message decodes but MESSAGE-INTEGRITY no longer verifies.
        var withoutFingerprint = Array(RFC5769.sampleRequest.dropLast(8))
        withoutFingerprint[3] = UInt8(withoutFingerprint.count - 20)
        #expect(try STUNMessage.decode(withoutFingerprint).verifyIntegrity(key: key))
        withoutFingerprint[60] ^= 0x01
        let decoded = try STUNMessage.decode(withoutFingerprint)
        #expect(!decoded.verifyIntegrity(key: key))
        #expect(!decoded.hasFingerprint)
    }

    @Test func everySingleByteCorruptionIsHandledWithoutTrapping() {
        for vector in RFC5769.all {
            for index in vector.indices {
                for flip: UInt8 in [0x01, 0x80, 0xff] {
                    var corrupted = vector
                    corrupted[index] ^= flip
                    if let message = try? STUNMessage.decode(corrupted) {
                        // A corrupted FINGERPRINT type becomes an unknown attribute after MESSAGE-INTEGRITY,
                        // which RFC 8489 says to ignore; any other surviving corruption must fail integrity.
                        #expect(!message.verifyIntegrity(key: key) || !message.hasFingerprint, "index \(index) flip \(flip)")
                    }
                }
            }
        }
    }

    @Test func messageTypeBitsRoundTrip() throws {
        let transactionID = try #require(STUNTransactionID(bytes: RFC5769.transactionID))
        let cases: [(STUNMessage.MessageClass, UInt16, UInt16)] = [
            (.request, 0x001, 0x0001), (.indication, 0x001, 0x0011),
            (.successResponse, 0x001, 0x0101), (.errorResponse, 0x001, 0x0111),
            (.errorResponse, 0xFFF, 0x3FFF), (.request, 0xABC, 0x2A6C),
        ]
        for (messageClass, method, type) in cases {
            let message = STUNMessage(messageClass, method: .init(rawValue: method), transactionID: transactionID)
            let bytes = message.encode()
            #expect(UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == type)
            let decoded = try STUNMessage.decode(bytes)
            #expect(decoded.messageClass == messageClass)
            #expect(decoded.method.rawValue == method)
        }
    }

    @Test func everyAttributeRoundTrips() throws {
        let transactionID = try #require(STUNTransactionID(bytes: RFC5769.transactionID))
        let message = STUNMessage(.errorResponse, transactionID: transactionID, attributes: [
            .mappedAddress(try #require(TransportAddress(host: "10.1.2.3", port: 9))),
            .mappedAddress(try #require(TransportAddress(host: "fe80::1", port: 65535))),
            .xorMappedAddress(try #require(TransportAddress(host: "127.0.0.1", port: 49375))),
            .username("abcd:efgh"),
            .errorCode(code: 487, reason: "Role Conflict"),
            .unknownAttributes([0x0002, 0x7FFF, 0x0011]),
            .priority(1_845_501_695),
            .useCandidate,
            .iceControlling(tieBreaker: .max),
            .iceControlled(tieBreaker: 1),
            .unknown(type: 0xC057, value: [1, 2, 3, 4, 5]),
            .unknown(type: 0x7001, value: []),
        ])
        let key = Array("pwd".utf8)
        let bytes = message.encode(integrityKey: key, fingerprint: true)
        #expect(bytes.count % 4 == 0)
        let decoded = try STUNMessage.decode(bytes)
        #expect(decoded == message)
        #expect(decoded.verifyIntegrity(key: key))
        #expect(decoded.errorCode?.code == 487)
        #expect(decoded.unknownComprehensionRequired == [0x7001])
        #expect(decoded.encode(integrityKey: key, fingerprint: true) == bytes)
    }

    @Test func attributesAfterIntegrityAreIgnoredAndAfterFingerprintRejected() throws {
        let transactionID = try #require(STUNTransactionID(bytes: RFC5769.transactionID))
        let key = Array("k".utf8)
        var bytes = STUNMessage(.request, transactionID: transactionID, attributes: [.username("a:b")])
            .encode(integrityKey: key)
        bytes += [0x00, 0x24, 0x00, 0x04, 0, 0, 0, 1]
        bytes[3] = UInt8(bytes.count - 20)
        let decoded = try STUNMessage.decode(bytes)
        #expect(decoded.attributes == [.username("a:b")])
        #expect(decoded.verifyIntegrity(key: key))

        var afterFingerprint = STUNMessage(.request, transactionID: transactionID).encode(fingerprint: true)
        afterFingerprint += [0x00, 0x25, 0x00, 0x00]
        afterFingerprint[3] = UInt8(afterFingerprint.count - 20)
        #expect(throws: ParseError.self) { try STUNMessage.decode(afterFingerprint) }
    }

    @Test func malformedAttributeValuesThrow() throws {
        let transactionID = try #require(STUNTransactionID(bytes: RFC5769.transactionID))
        let header = STUNMessage(.request, transactionID: transactionID).encode()
        let bad: [[UInt8]] = [
            [0x00, 0x24, 0x00, 0x02, 0, 1, 0, 0],               // PRIORITY of 2 bytes
            [0x00, 0x20, 0x00, 0x08, 0, 3, 0, 0, 1, 2, 3, 4],   // address family 3
            [0x00, 0x20, 0x00, 0x08, 0, 2, 0, 0, 1, 2, 3, 4],   // IPv6 family with 4 address bytes
            [0x00, 0x09, 0x00, 0x04, 0, 0, 7, 1],               // error class 7
            [0x00, 0x06, 0x00, 0x02, 0xC3, 0x28, 0, 0],         // USERNAME not UTF-8
            [0x00, 0x25, 0x00, 0x04, 0, 0, 0, 0],               // USE-CANDIDATE with a value
            [0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0],               // wrong FINGERPRINT
        ]
        for attribute in bad {
            var bytes = header + attribute
            bytes[3] = UInt8(attribute.count)
            #expect(throws: ParseError.self, "\(attribute)") { try STUNMessage.decode(bytes) }
        }
    }

    @Test func demuxRecognisesSTUNOnly() {
        #expect(STUNMessage.looksLikeSTUN(RFC5769.sampleRequest))
        #expect(STUNMessage.looksLikeSTUN(RFC5769.ipv4Response[...]))
        var dtls = RFC5769.sampleRequest
        dtls[0] = 22
        #expect(!STUNMessage.looksLikeSTUN(dtls))
        var noCookie = RFC5769.sampleRequest
        noCookie[5] = 0
        #expect(!STUNMessage.looksLikeSTUN(noCookie))
        #expect(!STUNMessage.looksLikeSTUN(RFC5769.sampleRequest.prefix(19)))
        #expect(!STUNMessage.looksLikeSTUN([UInt8]()))
    }
}
