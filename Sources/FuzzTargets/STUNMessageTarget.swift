import Mesh

/// STUN (RFC 8489) as the ICE agent receives it on the shared UDP socket: decode, check integrity with a
/// known key, and re-encode with MESSAGE-INTEGRITY and FINGERPRINT, which must decode to the same message.
enum STUNMessageTarget {
    static let key = STUNMessage.shortTermKey(password: "botpasswordbotpassword01")

    static let target = FuzzTarget(name: "stun", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        _ = STUNMessage.looksLikeSTUN(bytes)
        guard let message = try? STUNMessage.decode(bytes) else { return }
        _ = message.verifyIntegrity(key: key)
        _ = message.description
        _ = (message.username, message.xorMappedAddress, message.errorCode, message.unknownComprehensionRequired)
        let encoded = message.encode(integrityKey: key, fingerprint: true)
        // A message near the 64 KiB length limit has no room for the two attributes we add.
        guard encoded.count <= bytes.count + 32, encoded.count - 20 <= Int(UInt16.max) else { return }
        let reparsed = try? STUNMessage.decode(encoded)
        RoundTrip.require(message, reparsed, "STUN")
        RoundTrip.require(reparsed?.verifyIntegrity(key: key) == true, "STUN: our MESSAGE-INTEGRITY does not verify")
    }

    static func seeds() -> [[UInt8]] {
        var generator = SplitMix64(seed: 5769)
        let transaction = STUNTransactionID.random(using: &generator)
        let v4 = TransportAddress(host: "192.0.2.1", port: 32853)!
        let v6 = TransportAddress(host: "2001:db8:1234:5678:11:2233:4455:6677", port: 32853)!
        let request = STUNMessage(.request, transactionID: transaction, attributes: [
            .username("evtj:h6vY"), .priority(0x6e00_01ff), .iceControlled(tieBreaker: 0x932f_f9b1_5126_3b36),
            .useCandidate, .unknown(type: STUNAttribute.Kind.software, value: Array("STUN test client".utf8)),
        ])
        let response = STUNMessage(.successResponse, transactionID: transaction, attributes: [.xorMappedAddress(v4)])
        let response6 = STUNMessage(.successResponse, transactionID: transaction, attributes: [
            .xorMappedAddress(v6), .mappedAddress(v4),
        ])
        let error = STUNMessage(.errorResponse, transactionID: transaction, attributes: [
            .errorCode(code: 487, reason: "Role Conflict"), .unknownAttributes([0x0002, 0x7FFF]),
        ])
        let indication = STUNMessage(.indication, transactionID: transaction)
        return [
            request.encode(integrityKey: key, fingerprint: true, paddingByte: 0x20),
            request.encode(),
            response.encode(integrityKey: key, fingerprint: true),
            response6.encode(integrityKey: key),
            error.encode(fingerprint: true),
            indication.encode(fingerprint: true),
        ]
    }
}
