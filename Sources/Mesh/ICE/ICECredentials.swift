/// An ICE username fragment and password (RFC 8839 §5.4).
public struct ICECredentials: Equatable, Sendable {
    public var ufrag: String
    public var pwd: String

    public init(ufrag: String, pwd: String) {
        self.ufrag = ufrag
        self.pwd = pwd
    }

    /// `ice-char = ALPHA / DIGIT / "+" / "/"`: exactly 64 characters, so six random bits pick one without bias.
    static let iceChars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    /// A ufrag of 8 and a password of 24 ice-chars: above RFC 8839's minimums of 4 and 22,
    /// with 144 random bits in the password.
    public static func random(using generator: inout some RandomNumberGenerator) -> ICECredentials {
        func text(_ count: Int) -> String {
            String((0..<count).map { _ in iceChars[Int(generator.next() & 63)] })
        }
        return ICECredentials(ufrag: text(8), pwd: text(24))
    }

    /// Whether both parts are long enough and use only ice-chars.
    public var isValid: Bool {
        let allowed = Set(Self.iceChars)
        return (4...256).contains(ufrag.count) && (22...256).contains(pwd.count)
            && ufrag.allSatisfy(allowed.contains) && pwd.allSatisfy(allowed.contains)
    }
}

/// The default randomness of the agent: OpenSSL's CSPRNG, since transaction IDs and
/// tie-breakers must not be predictable by an off-path attacker.
public struct CryptoRandomGenerator: RandomNumberGenerator, Sendable {
    public init() {}
    public mutating func next() -> UInt64 {
        Crypto.randomBytes(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// Lets the agent own any injected generator while staying a plain `Sendable` value.
struct AnyRandomGenerator: RandomNumberGenerator, Sendable {
    var base: any RandomNumberGenerator & Sendable
    mutating func next() -> UInt64 { base.next() }
}
