import CEngageOpenSSL
import Synchronization

/// One configured OpenSSL `SSL_CTX`: our certificate and key, the DTLS 1.2 suites, the SRTP profiles.
///
/// Building one costs about 0.1 ms (OpenSSL 3 fetches every algorithm anew) and some memory, and it is
/// the same for every connection of a certificate, so `DTLSCertificate.context(offering:)` builds it once
/// and every `DTLSEndpoint` shares it. `@unchecked Sendable`: nothing changes it after configuration, and
/// OpenSSL allows `SSL_new` on one context from any thread (it counts references atomically).
final class DTLSContext: @unchecked Sendable {
    let pointer: OpaquePointer  // SSL_CTX *

    init(certificate: DTLSCertificate, srtpProfiles: [SRTPProfile]) throws {
        guard let pointer = SSL_CTX_new(DTLS_method()) else { throw DTLSError.openSSL("SSL_CTX_new failed") }
        do {
            try DTLSEndpoint.configure(pointer, certificate: certificate, srtpProfiles: srtpProfiles)
        } catch {
            SSL_CTX_free(pointer)
            throw error
        }
        self.pointer = pointer
    }

    deinit {
        SSL_CTX_free(pointer)
    }
}

extension DTLSCertificate {
    /// The context for endpoints of this certificate that offer or accept `srtpProfiles`, built on first use.
    func context(offering srtpProfiles: [SRTPProfile]) throws -> DTLSContext {
        let key = srtpProfiles.map(\.openSSLName).joined(separator: ":")
        return try contexts.withLock { contexts in
            if let known = contexts[key] { return known }
            let made = try DTLSContext(certificate: self, srtpProfiles: srtpProfiles)
            contexts[key] = made
            return made
        }
    }
}
