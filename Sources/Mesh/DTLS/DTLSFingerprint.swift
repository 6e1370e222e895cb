import CEngageOpenSSL

/// A certificate fingerprint as SDP's `a=fingerprint` carries it (RFC 8122), e.g.
/// `sha-256 AB:CD:...`: the only thing tying the DTLS peer to the signalled session.
public struct DTLSFingerprint: Sendable, Hashable, CustomStringConvertible {
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1 = "sha-1"
        case sha256 = "sha-256"
        case sha384 = "sha-384"
        case sha512 = "sha-512"

        public var digestLength: Int {
            switch self {
            case .sha1: 20
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }

        var digest: OpaquePointer? {
            switch self {
            case .sha1: EVP_sha1()
            case .sha256: EVP_sha256()
            case .sha384: EVP_sha384()
            case .sha512: EVP_sha512()
            }
        }
    }

    public var algorithm: Algorithm
    public var bytes: [UInt8]

    public init(algorithm: Algorithm, bytes: [UInt8]) {
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// Parses the value of `a=fingerprint:` (hash function names and hex digits in any case).
    /// Returns nil for unknown hash functions and for digests of the wrong length.
    public init?(sdpValue: some StringProtocol) {
        let fields = sdpValue.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 2, let algorithm = Algorithm(rawValue: fields[0].lowercased()) else { return nil }
        var bytes: [UInt8] = []
        for pair in fields[1].split(separator: ":", omittingEmptySubsequences: false) {
            guard pair.count == 2, pair.allSatisfy(\.isHexDigit), let byte = UInt8(pair, radix: 16) else { return nil }
            bytes.append(byte)
        }
        guard bytes.count == algorithm.digestLength else { return nil }
        self.init(algorithm: algorithm, bytes: bytes)
    }

    /// Uppercase colon-separated hex, as browsers write it.
    public var sdpValue: String {
        algorithm.rawValue + " " + bytes.map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: ":")
    }

    public var description: String { sdpValue }

    /// The fingerprint of a DER-encoded certificate with the given hash function.
    public init(algorithm: Algorithm, certificateDER der: [UInt8]) {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        der.withUnsafeBufferPointer { buffer in
            _ = EVP_Digest(buffer.baseAddress, buffer.count, &output, &length, algorithm.digest, nil)
        }
        self.init(algorithm: algorithm, bytes: Array(output.prefix(Int(length))))
    }
}
