import CEngageOpenSSL

/// The few hash primitives the protocols need, from the OpenSSL already linked for DTLS.
public enum Crypto {
    public static func hmacSHA1(key: [UInt8], data: some Collection<UInt8>) -> [UInt8] {
        hmac(EVP_sha1(), key: key, data: data)
    }

    /// For webhook signatures.
    public static func hmacSHA256(key: [UInt8], data: some Collection<UInt8>) -> [UInt8] {
        hmac(EVP_sha256(), key: key, data: data)
    }

    private static func hmac(_ digest: OpaquePointer?, key: [UInt8], data: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let input = Array(data)
        key.withUnsafeBufferPointer { keyBuffer in
            input.withUnsafeBufferPointer { dataBuffer in
                _ = HMAC(digest, keyBuffer.baseAddress, Int32(clamping: keyBuffer.count),
                         dataBuffer.baseAddress, dataBuffer.count, &output, &length)
            }
        }
        return Array(output.prefix(Int(length)))
    }

    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        let input = Array(data)
        input.withUnsafeBufferPointer { buffer in
            _ = SHA256(buffer.baseAddress, buffer.count, &output)
        }
        return output
    }

    public static func randomBytes(_ count: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: count)
        if CEngageOpenSSL_random_bytes(&output, count) != 1 {
            // OpenSSL's CSPRNG failing is not recoverable for key material; fall back to the system generator.
            var generator = SystemRandomNumberGenerator()
            for index in output.indices { output[index] = UInt8.random(in: 0...255, using: &generator) }
        }
        return output
    }

    /// CRC-32 (ISO-HDLC, as STUN FINGERPRINT and SCTP's CRC32c use different polynomials; this is the former).
    public static func crc32(_ data: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in data {
            crc = crc32Table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8)
        }
        return crc ^ 0xffff_ffff
    }

    private static let crc32Table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xedb8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex, for logs and tests.
    public var hexString: String { map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined() }
}
