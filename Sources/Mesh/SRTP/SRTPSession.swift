import CEngageSRTP

/// Why SRTP refused a packet or a session.
public struct SRTPError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The tag did not verify: wrong key, or the packet was altered.
        case authenticationFailed
        /// An index already seen inside the replay window.
        case replayed
        /// An index older than the replay window.
        case tooOld
        /// The packet is too short or malformed to be RTP/RTCP.
        case malformed
        /// Anything else libsrtp reported, with its `srtp_err_status_t` value.
        case other(status: Int32)
    }

    public var reason: Reason
    public var operation: String
    /// libsrtp2's `srtp_err_status_t`, 0 when the check was ours.
    public var status: Int32

    init(status: srtp_err_status_t, operation: String) {
        self.status = Int32(status.rawValue)
        self.operation = operation
        switch status {
        case srtp_err_status_auth_fail: reason = .authenticationFailed
        case srtp_err_status_replay_fail: reason = .replayed
        case srtp_err_status_replay_old: reason = .tooOld
        case srtp_err_status_bad_param, srtp_err_status_parse_err: reason = .malformed
        default: reason = .other(status: Int32(status.rawValue))
        }
    }

    /// A refusal by our own transform, with the status libsrtp2 gives the same refusal.
    init(_ reason: Reason, operation: String) {
        self.reason = reason
        self.operation = operation
        status = switch reason {
        case .authenticationFailed: Int32(srtp_err_status_auth_fail.rawValue)
        case .replayed: Int32(srtp_err_status_replay_fail.rawValue)
        case .tooOld: Int32(srtp_err_status_replay_old.rawValue)
        case .malformed: Int32(srtp_err_status_bad_param.rawValue)
        case .other: Int32(srtp_err_status_fail.rawValue)
        }
    }

    init(malformed operation: String) {
        self.status = 0
        self.operation = operation
        self.reason = .malformed
    }

    public var description: String {
        let what = switch reason {
        case .authenticationFailed: "authentication failed"
        case .replayed: "replayed packet (index already seen)"
        case .tooOld: "packet too old for the replay window"
        case .malformed: "malformed packet"
        case .other: "libsrtp error"
        }
        return "SRTP \(operation): \(what) (srtp_err_status \(status))"
    }
}

/// libsrtp2 must be initialised once per process before any session; Swift runs a global's
/// initialiser exactly once, thread-safely, on first use.
private let srtpLibraryStatus: Int32 = Int32(srtp_init().rawValue)

/// One direction of SRTP/SRTCP for every SSRC of a transport.
///
/// The AES-GCM profiles (RFC 7714), which browsers pick, run on our own `AEADSRTPTransform` over OpenSSL;
/// AES-CM with HMAC-SHA1 runs on libsrtp2 (an `srtp_t` with a wildcard SSRC policy).
///
/// Not `Sendable`: both mutate their state (rollover counters, replay windows) on every packet with no
/// locking, so one owner (the connection's task) uses it.
public final class SRTPSession {
    public enum Direction: Sendable { case inbound, outbound }

    /// Which implementation protects the packets; tests and the `srtp` fuzz target compare the two on the
    /// GCM profiles.
    package enum Implementation: Sendable {
        case automatic
        case libsrtp
    }

    private enum Backend {
        case aead(AEADSRTPTransform)
        case libsrtp(srtp_t)
    }

    public let profile: SRTPProfile
    public let direction: Direction
    private let backend: Backend

    /// Packets up to this far behind the newest are still accepted (reordering), once each.
    public static let replayWindow = SRTPReplayWindow.size

    public convenience init(profile: SRTPProfile, masterKey: [UInt8], masterSalt: [UInt8], direction: Direction) throws {
        try self.init(profile: profile, masterKey: masterKey, masterSalt: masterSalt, direction: direction,
                      implementation: .automatic)
    }

    package init(profile: SRTPProfile, masterKey: [UInt8], masterSalt: [UInt8], direction: Direction,
                 implementation: Implementation) throws {
        if implementation == .automatic, profile == .aeadAes128Gcm || profile == .aeadAes256Gcm {
            guard let transform = AEADSRTPTransform(
                profile: profile, masterKey: masterKey, masterSalt: masterSalt, direction: direction)
            else {
                throw SRTPError(.malformed, operation:
                    "create session (\(profile) needs a \(profile.masterKeyLength)-byte key and \(profile.masterSaltLength)-byte salt, got \(masterKey.count) and \(masterSalt.count))")
            }
            self.profile = profile
            self.direction = direction
            backend = .aead(transform)
            return
        }
        guard srtpLibraryStatus == Int32(srtp_err_status_ok.rawValue) else {
            throw SRTPError(status: srtp_err_status_t(UInt32(srtpLibraryStatus)), operation: "init")
        }
        guard masterKey.count == profile.masterKeyLength, masterSalt.count == profile.masterSaltLength else {
            throw SRTPError(status: srtp_err_status_bad_param, operation:
                "create session (\(profile) needs a \(profile.masterKeyLength)-byte key and \(profile.masterSaltLength)-byte salt, got \(masterKey.count) and \(masterSalt.count))")
        }
        let libraryProfile = srtp_profile_t(UInt32(profile.rawValue))
        var policy = srtp_policy_t()
        var status = srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, libraryProfile)
        guard status == srtp_err_status_ok else { throw SRTPError(status: status, operation: "RTP policy for \(profile)") }
        status = srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, libraryProfile)
        guard status == srtp_err_status_ok else { throw SRTPError(status: status, operation: "RTCP policy for \(profile)") }
        policy.ssrc.type = direction == .inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = UInt(SRTPSession.replayWindow)
        // Our own retransmissions (RTX, NACK answers) may reuse an index with the same payload.
        policy.allow_repeat_tx = direction == .outbound ? 1 : 0
        policy.next = nil

        // libsrtp reads the key as key || salt during srtp_create and keeps its own copy.
        var keyAndSalt = masterKey + masterSalt
        var created: srtp_t?
        status = keyAndSalt.withUnsafeMutableBufferPointer { buffer in
            policy.key = buffer.baseAddress
            return srtp_create(&created, &policy)
        }
        keyAndSalt.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices { buffer[index] = 0 }
        }
        guard status == srtp_err_status_ok, let created else {
            throw SRTPError(status: status, operation: "create session")
        }
        self.profile = profile
        self.direction = direction
        backend = .libsrtp(created)
    }

    deinit {
        if case .libsrtp(let session) = backend { srtp_dealloc(session) }
    }

    /// The room `protectRTP` needs past a packet's end: a packet built with this much spare capacity is
    /// protected without its bytes moving.
    public static let rtpTrailerReserve = Int(CEngageSRTP_max_trailer_length)

    /// Encrypts and authenticates an RTP packet in place; it grows by the tag.
    public func protectRTP(_ packet: inout [UInt8]) throws {
        guard packet.count >= 12 else { throw SRTPError(malformed: "protect RTP (\(packet.count) bytes)") }
        if case .aead(let transform) = backend { return try transform.protectRTP(&packet) }
        try transform(&packet, reserve: Self.rtpTrailerReserve, operation: "protect RTP") { session, bytes, length in
            srtp_protect(session, bytes, length)
        }
    }

    /// Encrypts and authenticates an RTCP packet in place; it grows by the SRTCP index and tag.
    public func protectRTCP(_ packet: inout [UInt8]) throws {
        guard packet.count >= 8 else { throw SRTPError(malformed: "protect RTCP (\(packet.count) bytes)") }
        if case .aead(let transform) = backend { return try transform.protectRTCP(&packet) }
        try transform(&packet, reserve: Int(CEngageSRTP_max_trailer_length) + 4, operation: "protect RTCP") { session, bytes, length in
            srtp_protect_rtcp(session, bytes, length)
        }
    }

    /// Verifies and decrypts an SRTP packet in place; it shrinks by the tag.
    public func unprotectRTP(_ packet: inout [UInt8]) throws {
        guard packet.count >= 12 else { throw SRTPError(malformed: "unprotect RTP (\(packet.count) bytes)") }
        if case .aead(let transform) = backend { return try transform.unprotectRTP(&packet) }
        try transform(&packet, reserve: 0, operation: "unprotect RTP") { session, bytes, length in
            srtp_unprotect(session, bytes, length)
        }
    }

    /// Verifies and decrypts an SRTCP packet in place; it shrinks by the index and tag.
    public func unprotectRTCP(_ packet: inout [UInt8]) throws {
        guard packet.count >= 8 else { throw SRTPError(malformed: "unprotect RTCP (\(packet.count) bytes)") }
        if case .aead(let transform) = backend { return try transform.unprotectRTCP(&packet) }
        try transform(&packet, reserve: 0, operation: "unprotect RTCP") { session, bytes, length in
            srtp_unprotect_rtcp(session, bytes, length)
        }
    }

    /// Whether the session holds state (replay window, rollover counter) for `ssrc`.
    public func holdsSource(_ ssrc: UInt32) -> Bool {
        switch backend {
        case .aead(let transform):
            return transform.holds(ssrc)
        case .libsrtp(let session):
            var rolloverCounter: UInt32 = 0
            return srtp_get_stream_roc(session, ssrc, &rolloverCounter) == srtp_err_status_ok
        }
    }

    /// Frees the state for `ssrc`. Both implementations make it for every SSRC whose first packet
    /// authenticates and keep it for the session's life; `InboundSRTPSources` decides which stay.
    /// A later packet of a forgotten source makes a fresh stream (a fresh replay window), so only sources
    /// whose packets were all refused are forgotten.
    public func forgetSource(_ ssrc: UInt32) {
        switch backend {
        case .aead(let transform):
            transform.forget(ssrc)
        case .libsrtp(let session):
            // The one libsrtp call that takes the SSRC in network byte order.
            _ = srtp_remove_stream(session, ssrc.bigEndian)
        }
    }

    private func transform(
        _ packet: inout [UInt8], reserve: Int, operation: String,
        _ body: (srtp_t, UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t
    ) throws {
        guard case .libsrtp(let session) = backend, packet.count <= Int(Int32.max) - reserve else {
            throw SRTPError(malformed: operation)
        }
        var length = Int32(packet.count)
        // libsrtp writes the trailer past the packet's end without bounds checks.
        if reserve > 0 { packet.append(contentsOf: repeatElement(0, count: reserve)) }
        let status = packet.withUnsafeMutableBytes { buffer -> srtp_err_status_t in
            guard let base = buffer.baseAddress else { return srtp_err_status_bad_param }
            return body(session, base, &length)
        }
        guard status == srtp_err_status_ok, length >= 0, Int(length) <= packet.count else {
            if reserve > 0 { packet.removeLast(reserve) }
            throw SRTPError(status: status == srtp_err_status_ok ? srtp_err_status_fail : status, operation: operation)
        }
        packet.removeLast(packet.count - Int(length))
    }
}

@available(*, unavailable, message: "an SRTP session belongs to one owner")
extension SRTPSession: Sendable {}
