import CEngageOpenSSL

/// RFC 3711 4.3: session keys from a master key and salt, with a key derivation rate of 0 (what DTLS-SRTP
/// uses), through the AES counter-mode PRF. RFC 7714 keeps this for AES-GCM with its 12-byte master salt,
/// which sits at the start of the PRF's 14-byte salt, zero-padded (as libsrtp2 and browsers derive it).
enum SRTPKeyDerivation {
    enum Label: UInt8 {
        case rtpEncryption = 0x00
        case rtpSalt = 0x02
        case rtcpEncryption = 0x03
        case rtcpSalt = 0x05
    }

    /// `length` bytes for `label`; nil when the key is not 16 or 32 bytes or the salt is longer than 14.
    static func derive(_ label: Label, length: Int, masterKey: [UInt8], masterSalt: [UInt8]) -> [UInt8]? {
        guard masterKey.count == 16 || masterKey.count == 32, masterSalt.count <= 14, length > 0 else { return nil }
        // x = (label || r) XOR salt, r = 0; the counter block is x * 2^16.
        var counterBlock = [UInt8](repeating: 0, count: 16)
        for (offset, byte) in masterSalt.enumerated() { counterBlock[offset] = byte }
        counterBlock[7] ^= label.rawValue
        var output = [UInt8](repeating: 0, count: length)
        let succeeded = output.withUnsafeMutableBufferPointer { out in
            CEngageOpenSSL_aes_ctr_keystream(masterKey, masterKey.count, counterBlock, out.baseAddress, length) == 1
        }
        return succeeded ? output : nil
    }
}
