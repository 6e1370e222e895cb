import CEngageOpenSSL
import Synchronization

/// Our DTLS identity: a fresh ECDSA P-256 key and a self-signed certificate for it.
///
/// WebRTC authenticates by the certificate's fingerprint in the SDP, never by a CA, so the
/// subject and validity only need to satisfy parsers.
///
/// `@unchecked Sendable`: immutable after init; OpenSSL's X509 and EVP_PKEY are only read
/// (and reference-counted atomically) by the SSL_CTXs that use them, so one certificate can
/// serve every peer connection of the process, as one fingerprint in every SDP.
public final class DTLSCertificate: @unchecked Sendable {
    let certificate: OpaquePointer  // X509 *
    let privateKey: OpaquePointer  // EVP_PKEY *

    /// The certificate in DER, as the peer will hash it.
    public let der: [UInt8]
    /// sha-256 of `der`, for our `a=fingerprint`.
    public let fingerprint: DTLSFingerprint
    /// The OpenSSL contexts built for this certificate, by SRTP profile list (`context(offering:)`).
    let contexts = Mutex<[String: DTLSContext]>([:])

    public init(commonName: String = "EngageBot", validFor validity: ClosedRange<Duration> = .seconds(-30 * 86_400) ... .seconds(365 * 86_400)) throws {
        ERR_clear_error()
        guard let key = DTLSCertificate.generateP256Key() else { throw DTLSError.openSSL("generating the P-256 key failed") }
        guard let certificate = X509_new() else {
            EVP_PKEY_free(key)
            throw DTLSError.openSSL("X509_new failed")
        }
        do {
            try DTLSCertificate.fill(certificate, key: key, commonName: commonName, validity: validity)
            guard X509_sign(certificate, key, EVP_sha256()) > 0 else { throw DTLSError.openSSL("signing the certificate failed") }
            let der = try DTLSCertificate.derEncoding(of: certificate)
            self.certificate = certificate
            self.privateKey = key
            self.der = der
            self.fingerprint = DTLSFingerprint(algorithm: .sha256, certificateDER: der)
        } catch {
            X509_free(certificate)
            EVP_PKEY_free(key)
            throw error
        }
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(privateKey)
    }

    private static func generateP256Key() -> OpaquePointer? {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) > 0, EVP_PKEY_CTX_set_group_name(context, "P-256") > 0 else { return nil }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) > 0 else { return nil }
        return key
    }

    private static func fill(_ certificate: OpaquePointer, key: OpaquePointer, commonName: String, validity: ClosedRange<Duration>) throws {
        guard X509_set_version(certificate, 2) > 0 else { throw DTLSError.openSSL("X509_set_version failed") }  // v3

        // RFC 5280: a positive serial of at most 20 octets; random so that reissued
        // certificates never collide in a peer's cache.
        var serialBytes = Crypto.randomBytes(16)
        serialBytes[0] &= 0x7f
        serialBytes[0] |= 0x01
        guard let serial = BN_bin2bn(serialBytes, Int32(serialBytes.count), nil) else { throw DTLSError.openSSL("BN_bin2bn failed") }
        defer { BN_free(serial) }
        guard BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate)) != nil else {
            throw DTLSError.openSSL("setting the serial number failed")
        }

        guard X509_gmtime_adj(X509_getm_notBefore(certificate), Int(validity.lowerBound.components.seconds)) != nil,
              X509_gmtime_adj(X509_getm_notAfter(certificate), Int(validity.upperBound.components.seconds)) != nil
        else { throw DTLSError.openSSL("setting the validity failed") }

        guard let name = X509_NAME_new() else { throw DTLSError.openSSL("X509_NAME_new failed") }
        defer { X509_NAME_free(name) }
        let nameBytes = Array(commonName.utf8)
        guard X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, nameBytes, Int32(nameBytes.count), -1, 0) > 0,
              X509_set_subject_name(certificate, name) > 0,
              X509_set_issuer_name(certificate, name) > 0
        else { throw DTLSError.openSSL("setting the subject failed") }

        guard X509_set_pubkey(certificate, key) > 0 else { throw DTLSError.openSSL("X509_set_pubkey failed") }
    }

    static func derEncoding(of certificate: OpaquePointer) throws -> [UInt8] {
        let length = i2d_X509(certificate, nil)
        guard length > 0 else { throw DTLSError.openSSL("encoding the certificate failed") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_X509(certificate, &cursor)
        }
        guard written == length else { throw DTLSError.openSSL("encoding the certificate failed") }
        return der
    }
}
