import CEngageOpenSSL
import Testing
@testable import Mesh

@Suite struct DTLSCertificateTests {
    @Test func generatesASelfSignedP256Certificate() throws {
        let certificate = try DTLSCertificate()
        #expect(certificate.fingerprint.algorithm == .sha256)
        #expect(certificate.fingerprint.bytes == Crypto.sha256(certificate.der))

        // Read it back as a peer would.
        let parsed = try #require(certificate.der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        })
        defer { X509_free(parsed) }
        #expect(X509_NAME_cmp(X509_get_subject_name(parsed), X509_get_issuer_name(parsed)) == 0)
        let publicKey = try #require(X509_get0_pubkey(parsed))
        #expect(X509_verify(parsed, publicKey) == 1)
        #expect(EVP_PKEY_get_bits(publicKey) == 256)
        #expect(X509_cmp_current_time(X509_get0_notBefore(parsed)) < 0)
        #expect(X509_cmp_current_time(X509_get0_notAfter(parsed)) > 0)
        var commonName = [CChar](repeating: 0, count: 64)
        _ = X509_NAME_get_text_by_NID(X509_get_subject_name(parsed), NID_commonName, &commonName, Int32(commonName.count))
        #expect(String(decoding: commonName.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) == "EngageBot")
    }

    @Test func fingerprintLooksLikeABrowsers() throws {
        let value = try DTLSCertificate().fingerprint.sdpValue
        #expect(value.wholeMatch(of: /sha-256 [0-9A-F]{2}(:[0-9A-F]{2}){31}/) != nil)
        #expect(DTLSFingerprint(sdpValue: value) != nil)
    }

    @Test func everyCertificateIsFresh() throws {
        let first = try DTLSCertificate()
        let second = try DTLSCertificate()
        #expect(first.fingerprint != second.fingerprint)
    }
}
