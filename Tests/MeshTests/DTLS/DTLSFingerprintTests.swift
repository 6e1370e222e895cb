import Testing
@testable import Mesh

@Suite struct DTLSFingerprintTests {
    static let chromiumValue =
        "sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3A:2B:1A:93:C8:1F:EE:DC:7B:DA:01:9E"

    @Test func parsesABrowserFingerprintAndWritesItBack() throws {
        let fingerprint = try #require(DTLSFingerprint(sdpValue: Self.chromiumValue))
        #expect(fingerprint.algorithm == .sha256)
        #expect(fingerprint.bytes.count == 32)
        #expect(fingerprint.bytes.first == 0x4a)
        #expect(fingerprint.sdpValue == Self.chromiumValue)
    }

    @Test func acceptsAnyCaseAndEveryHashFunction() throws {
        let lower = try #require(DTLSFingerprint(sdpValue: "SHA-256 " + Self.chromiumValue.dropFirst(8).lowercased()))
        #expect(lower.sdpValue == Self.chromiumValue)
        for algorithm in DTLSFingerprint.Algorithm.allCases {
            let hex = Array(repeating: "0a", count: algorithm.digestLength).joined(separator: ":")
            let parsed = try #require(DTLSFingerprint(sdpValue: "\(algorithm.rawValue) \(hex)"))
            #expect(parsed.algorithm == algorithm)
            #expect(parsed.sdpValue == "\(algorithm.rawValue) \(hex.uppercased())")
        }
    }

    @Test(arguments: [
        "",
        "sha-256",
        "md5 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
        "sha-256 AA:BB",
        "sha-1 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:GG",
        "sha-1 AABBCCDDEEFF00112233445566778899AABBCCDD",
        "sha-1 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:D",
        "sha-1 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:",
        "sha-1 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD extra",
        "sha-1 +A:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD",
    ])
    func rejectsMalformedValues(_ value: String) {
        #expect(DTLSFingerprint(sdpValue: value) == nil)
    }

    @Test func hashesCertificatesWithTheRequestedFunction() throws {
        let certificate = try DTLSCertificate()
        #expect(DTLSFingerprint(algorithm: .sha256, certificateDER: certificate.der) == certificate.fingerprint)
        #expect(DTLSFingerprint(algorithm: .sha1, certificateDER: certificate.der).bytes.count == 20)
        #expect(DTLSFingerprint(algorithm: .sha512, certificateDER: certificate.der).bytes.count == 64)
    }
}
