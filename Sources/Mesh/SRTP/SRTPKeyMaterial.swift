/// One direction's SRTP master key and salt.
public struct SRTPMasterKey: Sendable, Equatable {
    public var key: [UInt8]
    public var salt: [UInt8]

    public init(key: [UInt8], salt: [UInt8]) {
        self.key = key
        self.salt = salt
    }
}

/// What DTLS-SRTP hands to SRTP once the peer is authenticated (RFC 5764 §4.2).
///
/// `local` protects what we send, `remote` unprotects what the peer sends; which half of the
/// exported block each is depends on our DTLS role, already resolved here.
public struct SRTPKeyMaterial: Sendable, Equatable {
    public var profile: SRTPProfile
    public var local: SRTPMasterKey
    public var remote: SRTPMasterKey

    public init(profile: SRTPProfile, local: SRTPMasterKey, remote: SRTPMasterKey) {
        self.profile = profile
        self.local = local
        self.remote = remote
    }

    /// Splits the output of the "EXTRACTOR-dtls_srtp" exporter, laid out as
    /// client key | server key | client salt | server salt.
    public init(exported block: [UInt8], profile: SRTPProfile, localIsClient: Bool) throws {
        let keyLength = profile.masterKeyLength
        let saltLength = profile.masterSaltLength
        guard block.count == 2 * (keyLength + saltLength) else {
            throw ParseError("DTLS-SRTP keying block of \(block.count) bytes, \(profile) needs \(2 * (keyLength + saltLength))")
        }
        var reader = ByteReader(block)
        let clientKey = Array(try reader.readBytes(keyLength))
        let serverKey = Array(try reader.readBytes(keyLength))
        let clientSalt = Array(try reader.readBytes(saltLength))
        let serverSalt = Array(try reader.readBytes(saltLength))
        let client = SRTPMasterKey(key: clientKey, salt: clientSalt)
        let server = SRTPMasterKey(key: serverKey, salt: serverSalt)
        self.init(profile: profile, local: localIsClient ? client : server, remote: localIsClient ? server : client)
    }
}
