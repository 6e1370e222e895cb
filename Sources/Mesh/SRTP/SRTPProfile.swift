/// An SRTP protection profile as negotiated by DTLS-SRTP's use_srtp extension.
///
/// Raw values are the RFC 5764 / RFC 7714 profile identifiers on the wire, which libsrtp2's
/// `srtp_profile_t` happens to share.
public enum SRTPProfile: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case aes128CmHmacSha1_80 = 0x0001
    case aeadAes128Gcm = 0x0007
    case aeadAes256Gcm = 0x0008

    /// Our preference: GCM costs about a fifth of CM+HMAC per packet (see DESIGN.md),
    /// and Chromium offers it when it is the DTLS client.
    public static let preferenceOrder: [SRTPProfile] = [.aeadAes128Gcm, .aeadAes256Gcm, .aes128CmHmacSha1_80]

    /// OpenSSL's name for `SSL_CTX_set_tlsext_use_srtp`.
    public var openSSLName: String {
        switch self {
        case .aes128CmHmacSha1_80: "SRTP_AES128_CM_SHA1_80"
        case .aeadAes128Gcm: "SRTP_AEAD_AES_128_GCM"
        case .aeadAes256Gcm: "SRTP_AEAD_AES_256_GCM"
        }
    }

    public var masterKeyLength: Int {
        switch self {
        case .aes128CmHmacSha1_80, .aeadAes128Gcm: 16
        case .aeadAes256Gcm: 32
        }
    }

    public var masterSaltLength: Int {
        switch self {
        case .aes128CmHmacSha1_80: 14
        case .aeadAes128Gcm, .aeadAes256Gcm: 12
        }
    }

    public var description: String { openSSLName }
}
