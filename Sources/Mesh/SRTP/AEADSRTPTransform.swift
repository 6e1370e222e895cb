import CEngageOpenSSL

/// SRTP and SRTCP with AES-GCM (RFC 7714) for every SSRC of one direction, on OpenSSL's AES-GCM.
///
/// It replaces libsrtp2 for the profiles browsers pick: libsrtp2 on Debian runs its ciphers through NSS,
/// which opens a PKCS #11 operation, takes locks and allocates for every packet. Here a packet costs a
/// dictionary lookup, one AES-GCM pass in place and the replay window. Per source it keeps what RFC 3711
/// asks (the highest index and a replay window for RTP and for RTCP); a source is kept from its first packet
/// that authenticates until `forget`, which `InboundSRTPSources` calls for the ones it does not admit.
///
/// Not `Sendable`: one owner (the connection) uses it, like the contexts it holds.
final class AEADSRTPTransform {
    static let tagLength = 16
    /// E flag and SRTCP index after the tag.
    static let rtcpTrailerLength = 4
    private static let maximumRTCPIndex: UInt64 = 0x7FFF_FFFF

    /// A class, so a packet changes its source's windows where they are: changing a large value inside the
    /// dictionary goes through an accessor whose frame was allocated for every packet.
    private final class Source {
        var rtp: SRTPReplayWindow?
        var rtcp: SRTPReplayWindow?
        /// The last SRTCP index we sent (outbound).
        var rtcpSent: UInt64 = 0
    }

    let direction: SRTPSession.Direction
    private let rtpContext: OpaquePointer
    private let rtcpContext: OpaquePointer
    private let rtpSalt: [UInt8]
    private let rtcpSalt: [UInt8]
    private var sources: [UInt32: Source] = [:]

    init?(profile: SRTPProfile, masterKey: [UInt8], masterSalt: [UInt8], direction: SRTPSession.Direction) {
        guard profile == .aeadAes128Gcm || profile == .aeadAes256Gcm,
              masterKey.count == profile.masterKeyLength, masterSalt.count == profile.masterSaltLength,
              let rtpKey = SRTPKeyDerivation.derive(.rtpEncryption, length: masterKey.count, masterKey: masterKey, masterSalt: masterSalt),
              let rtpSalt = SRTPKeyDerivation.derive(.rtpSalt, length: 12, masterKey: masterKey, masterSalt: masterSalt),
              let rtcpKey = SRTPKeyDerivation.derive(.rtcpEncryption, length: masterKey.count, masterKey: masterKey, masterSalt: masterSalt),
              let rtcpSalt = SRTPKeyDerivation.derive(.rtcpSalt, length: 12, masterKey: masterKey, masterSalt: masterSalt)
        else { return nil }
        let encrypt: Int32 = direction == .outbound ? 1 : 0
        guard let rtpContext = CEngageOpenSSL_gcm_new(rtpKey, rtpKey.count, encrypt) else { return nil }
        guard let rtcpContext = CEngageOpenSSL_gcm_new(rtcpKey, rtcpKey.count, encrypt) else {
            EVP_CIPHER_CTX_free(rtpContext)
            return nil
        }
        self.direction = direction
        self.rtpContext = rtpContext
        self.rtcpContext = rtcpContext
        self.rtpSalt = rtpSalt
        self.rtcpSalt = rtcpSalt
    }

    deinit {
        EVP_CIPHER_CTX_free(rtpContext)
        EVP_CIPHER_CTX_free(rtcpContext)
    }

    func holds(_ ssrc: UInt32) -> Bool { sources[ssrc] != nil }

    func forget(_ ssrc: UInt32) { sources[ssrc] = nil }

    // MARK: - RTP

    func protectRTP(_ packet: inout [UInt8]) throws(SRTPError) {
        let headerLength = try Self.rtpHeaderLength(packet, operation: "protect RTP")
        let ssrc = Self.word(packet, at: 8)
        let sequenceNumber = UInt16(packet[2]) << 8 | UInt16(packet[3])
        // Our own retransmissions may reuse an index; one older than the window is refused, as libsrtp2
        // refuses it and as every receiver would.
        let window = sources[ssrc]?.rtp
        let index = window?.estimateIndex(of: sequenceNumber) ?? UInt64(sequenceNumber)
        guard index >> 48 == 0 else { throw SRTPError(.other(status: 0), operation: "protect RTP (index out of range)") }
        if window?.verdict(for: index) == .tooOld { throw SRTPError(.tooOld, operation: "protect RTP") }
        let payloadLength = packet.count - headerLength
        packet.append(contentsOf: repeatElement(0, count: Self.tagLength))
        let sealed = Self.withIV(salt: rtpSalt, ssrc: ssrc, high: UInt32(truncatingIfNeeded: index >> 16),
                                 low: UInt16(truncatingIfNeeded: index)) { iv in
            packet.withUnsafeMutableBufferPointer { bytes -> Bool in
                guard let base = bytes.baseAddress else { return false }
                return CEngageOpenSSL_gcm_seal(rtpContext, iv, base, headerLength, base + headerLength, payloadLength,
                                               base + headerLength + payloadLength) == 1
            }
        }
        guard sealed else {
            packet.removeLast(Self.tagLength)
            throw SRTPError(.other(status: 0), operation: "protect RTP (AES-GCM failed)")
        }
        record(rtp: index, of: ssrc)
    }

    /// The state of `ssrc`, made if it is new.
    private func source(_ ssrc: UInt32) -> Source {
        if let known = sources[ssrc] { return known }
        let made = Source()
        sources[ssrc] = made
        return made
    }

    /// Marks `index` received in the source's RTP window, making the source and the window if they are new.
    private func record(rtp index: UInt64, of ssrc: UInt32) { Self.record(index, in: &source(ssrc).rtp) }

    private func record(rtcp index: UInt64, of ssrc: UInt32) { Self.record(index, in: &source(ssrc).rtcp) }

    private static func record(_ index: UInt64, in window: inout SRTPReplayWindow?) {
        if window == nil { window = SRTPReplayWindow(first: index) } else { window?.accept(index) }
    }

    func unprotectRTP(_ packet: inout [UInt8]) throws(SRTPError) {
        let headerLength = try Self.rtpHeaderLength(packet, operation: "unprotect RTP")
        guard packet.count - headerLength >= Self.tagLength else { throw SRTPError(malformed: "unprotect RTP (no room for the tag)") }
        let ssrc = Self.word(packet, at: 8)
        let sequenceNumber = UInt16(packet[2]) << 8 | UInt16(packet[3])
        let index: UInt64
        if let known = sources[ssrc]?.rtp {
            let estimated = known.estimateIndex(of: sequenceNumber)
            guard estimated >> 48 == 0 else { throw SRTPError(.other(status: 0), operation: "unprotect RTP (index out of range)") }
            switch known.verdict(for: estimated) {
            case .fresh: break
            case .replayed: throw SRTPError(.replayed, operation: "unprotect RTP")
            case .tooOld: throw SRTPError(.tooOld, operation: "unprotect RTP")
            }
            index = estimated
        } else {
            // RFC 3711 3.3.1: a source's first packet has rollover counter 0.
            index = UInt64(sequenceNumber)
        }
        let cipherLength = packet.count - headerLength - Self.tagLength
        let opened = Self.withIV(salt: rtpSalt, ssrc: ssrc, high: UInt32(truncatingIfNeeded: index >> 16),
                                 low: UInt16(truncatingIfNeeded: index)) { iv in
            packet.withUnsafeMutableBufferPointer { bytes -> Int32 in
                guard let base = bytes.baseAddress else { return -1 }
                return CEngageOpenSSL_gcm_open(rtpContext, iv, base, headerLength, base + headerLength, cipherLength,
                                               base + headerLength + cipherLength)
            }
        }
        guard opened == 1 else { throw SRTPError(.authenticationFailed, operation: "unprotect RTP") }
        packet.removeLast(Self.tagLength)
        record(rtp: index, of: ssrc)
    }

    // MARK: - RTCP

    func protectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        guard packet.count >= 8 else { throw SRTPError(malformed: "protect RTCP (\(packet.count) bytes)") }
        let ssrc = Self.word(packet, at: 4)
        let index = (sources[ssrc]?.rtcpSent ?? 0) + 1
        guard index <= Self.maximumRTCPIndex else {
            throw SRTPError(.other(status: 0), operation: "protect RTCP (SRTCP index exhausted)")
        }
        // The trailer: E (encrypted) and the index, authenticated with the header.
        let trailer = Self.bigEndian(UInt32(truncatingIfNeeded: index) | 0x8000_0000)
        let aad = Array(packet[0..<8]) + trailer
        let bodyLength = packet.count - 8
        packet.append(contentsOf: repeatElement(0, count: Self.tagLength))
        let sealed = Self.withIV(salt: rtcpSalt, ssrc: ssrc, high: 0, low: 0, rtcpIndex: UInt32(truncatingIfNeeded: index)) { iv in
            packet.withUnsafeMutableBufferPointer { bytes -> Bool in
                guard let base = bytes.baseAddress else { return false }
                return CEngageOpenSSL_gcm_seal(rtcpContext, iv, aad, aad.count, base + 8, bodyLength, base + 8 + bodyLength) == 1
            }
        }
        guard sealed else {
            packet.removeLast(Self.tagLength)
            throw SRTPError(.other(status: 0), operation: "protect RTCP (AES-GCM failed)")
        }
        packet.append(contentsOf: trailer)
        source(ssrc).rtcpSent = index
    }

    func unprotectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        guard packet.count >= 8 + Self.tagLength + Self.rtcpTrailerLength else {
            throw SRTPError(malformed: "unprotect RTCP (\(packet.count) bytes)")
        }
        let ssrc = Self.word(packet, at: 4)
        let trailerWord = Self.word(packet, at: packet.count - Self.rtcpTrailerLength)
        // RFC 7714 allows unencrypted SRTCP (E = 0); no browser sends it, and we do not accept it.
        guard trailerWord & 0x8000_0000 != 0 else { throw SRTPError(malformed: "unprotect RTCP (unencrypted SRTCP)") }
        let index = UInt64(trailerWord & 0x7FFF_FFFF)
        if let known = sources[ssrc]?.rtcp {
            switch known.verdict(for: index) {
            case .fresh: break
            case .replayed: throw SRTPError(.replayed, operation: "unprotect RTCP")
            case .tooOld: throw SRTPError(.tooOld, operation: "unprotect RTCP")
            }
        }
        let aad = Array(packet[0..<8]) + packet[(packet.count - Self.rtcpTrailerLength)...]
        let cipherLength = packet.count - 8 - Self.tagLength - Self.rtcpTrailerLength
        let opened = Self.withIV(salt: rtcpSalt, ssrc: ssrc, high: 0, low: 0, rtcpIndex: UInt32(truncatingIfNeeded: index)) { iv in
            packet.withUnsafeMutableBufferPointer { bytes -> Int32 in
                guard let base = bytes.baseAddress else { return -1 }
                return CEngageOpenSSL_gcm_open(rtcpContext, iv, aad, aad.count, base + 8, cipherLength, base + 8 + cipherLength)
            }
        }
        guard opened == 1 else { throw SRTPError(.authenticationFailed, operation: "unprotect RTCP") }
        packet.removeLast(Self.tagLength + Self.rtcpTrailerLength)
        record(rtcp: index, of: ssrc)
    }

    // MARK: - Layout

    /// Fixed header, CSRCs and the header extension: what GCM authenticates but does not encrypt.
    private static func rtpHeaderLength(_ packet: [UInt8], operation: String) throws(SRTPError) -> Int {
        guard packet.count >= 12 else { throw SRTPError(malformed: "\(operation) (\(packet.count) bytes)") }
        var length = 12 + 4 * Int(packet[0] & 0x0f)
        if packet[0] & 0x10 != 0 {
            guard packet.count >= length + 4 else { throw SRTPError(malformed: "\(operation) (extension past the end)") }
            length += 4 + 4 * (Int(packet[length + 2]) << 8 | Int(packet[length + 3]))
        }
        guard length <= packet.count else { throw SRTPError(malformed: "\(operation) (header past the end)") }
        return length
    }

    /// The 12-byte IV on the stack, XOR the session salt: RFC 7714 8.1 for RTP (00 00 || SSRC || ROC || SEQ,
    /// `high` the rollover counter, `low` the sequence number), 9.1 for RTCP (00 00 || SSRC || 00 00 || 0 ||
    /// SRTCP index).
    private static func withIV<Result>(
        salt: [UInt8], ssrc: UInt32, high: UInt32, low: UInt16, rtcpIndex: UInt32? = nil,
        _ body: (UnsafePointer<UInt8>?) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 12) { iv in
            for offset in 0..<12 { iv[offset] = offset < salt.count ? salt[offset] : 0 }
            for shift in 0..<4 {
                iv[2 + shift] ^= UInt8(truncatingIfNeeded: ssrc >> (24 - 8 * shift))
                if let rtcpIndex {
                    iv[8 + shift] ^= UInt8(truncatingIfNeeded: rtcpIndex >> (24 - 8 * shift))
                } else {
                    iv[6 + shift] ^= UInt8(truncatingIfNeeded: high >> (24 - 8 * shift))
                }
            }
            if rtcpIndex == nil {
                iv[10] ^= UInt8(truncatingIfNeeded: low >> 8)
                iv[11] ^= UInt8(truncatingIfNeeded: low)
            }
            return body(UnsafePointer(iv.baseAddress))
        }
    }

    /// The big-endian word at `offset`; callers have checked the length.
    private static func word(_ packet: [UInt8], at offset: Int) -> UInt32 {
        UInt32(packet[offset]) << 24 | UInt32(packet[offset + 1]) << 16 | UInt32(packet[offset + 2]) << 8
            | UInt32(packet[offset + 3])
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}

@available(*, unavailable, message: "an SRTP transform belongs to one owner")
extension AEADSRTPTransform: Sendable {}
