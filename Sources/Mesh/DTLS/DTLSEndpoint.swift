import CEngageOpenSSL

public enum DTLSRole: Sendable, Equatable {
    /// Sends the ClientHello (SDP `a=setup:active`).
    case client
    /// Answers it and picks the SRTP profile (SDP `a=setup:passive`); the role to take, see DESIGN.md.
    case server
}

public enum DTLSEvent: Sendable, Equatable {
    /// The handshake finished and the peer's certificate matched the SDP fingerprint.
    case connected(SRTPKeyMaterial)
    /// One DTLS application-data record (an SCTP packet, for WebRTC).
    case applicationData([UInt8])
    /// The peer sent close_notify.
    case closed
    /// The handshake or the connection failed; nothing more will happen.
    case failed(String)
}

/// What the handshake settled on, for logs.
public struct DTLSNegotiation: Sendable, Equatable, CustomStringConvertible {
    public var version: String
    public var cipher: String
    public var srtpProfile: SRTPProfile

    public var description: String { "\(version) \(cipher) \(srtpProfile)" }
}

/// A DTLS 1.2 endpoint for DTLS-SRTP (RFC 5764), sans-IO: the owner hands in datagrams and
/// timeouts with the current `Timestamp`, then drains `pollTransmit()` and `pollEvent()`.
///
/// Every outgoing datagram holds one DTLS record of at most `mtu` bytes. The peer is
/// authenticated by comparing its certificate with the fingerprint from the SDP after the
/// handshake; only then is `.connected` with the SRTP keys emitted.
///
/// OpenSSL runs the retransmit timer on its own (real) clock; `nextDeadline` translates its
/// remaining time into the caller's timeline, relative to the last `Timestamp` passed in,
/// and `handleTimeout` retransmits only once OpenSSL agrees the timer expired. OpenSSL also
/// checks that timer whenever a read finds nothing, so any input may queue a retransmission:
/// drain `pollTransmit()` after every call.
///
/// Not `Sendable`: it owns an `SSL *`, which OpenSSL does not lock; one owner drives it.
public final class DTLSEndpoint {
    public let role: DTLSRole
    public let mtu: Int
    public private(set) var remoteFingerprint: DTLSFingerprint?
    /// Set once connected.
    public private(set) var negotiation: DTLSNegotiation?

    private enum State: Equatable {
        case idle
        case handshaking
        /// Handshake done before the SDP with the peer's fingerprint arrived (the ClientHello
        /// can overtake the answer); keys and data wait for `setRemoteFingerprint`.
        case awaitingFingerprint
        case connected
        case closed
        case failed
    }

    private var state = State.idle
    /// Shared by every endpoint of the certificate (and profiles); SSL_new keeps its own reference.
    let context: DTLSContext
    /// Inside the module so tests can play a peer that misuses its own end of the handshake.
    let ssl: OpaquePointer  // SSL *, owns `bio`
    private let bio: OpaquePointer  // BIO *
    private var now = Timestamp.zero
    private var events: [DTLSEvent] = []
    private var heldApplicationData: [[UInt8]] = []
    private var readBuffer = [UInt8](repeating: 0, count: 16_384)

    public static let cipherList = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA",
    ].joined(separator: ":")

    /// - Parameters:
    ///   - remoteFingerprint: from the peer's SDP; nil if it is not known yet (see `setRemoteFingerprint`).
    ///   - srtpProfiles: offered (client) or accepted (server) in this order of preference; a
    ///     server picks the first of its own list that the client offers.
    ///   - initialRetransmitTimeout: first retransmission delay, doubling on each expiry.
    public init(
        role: DTLSRole,
        certificate: DTLSCertificate,
        remoteFingerprint: DTLSFingerprint?,
        mtu: Int = 1200,
        srtpProfiles: [SRTPProfile] = SRTPProfile.preferenceOrder,
        initialRetransmitTimeout: Duration = .seconds(1)
    ) throws {
        guard !srtpProfiles.isEmpty else { throw DTLSError("DTLS-SRTP needs at least one SRTP profile") }
        ERR_clear_error()
        let context = try certificate.context(offering: srtpProfiles)
        guard let ssl = SSL_new(context.pointer) else { throw DTLSError.openSSL("SSL_new failed") }
        guard let bio = CEngageOpenSSL_datagram_bio_new() else {
            SSL_free(ssl)
            throw DTLSError.openSSL("creating the datagram BIO failed")
        }
        // One BIO for both directions: SSL_set_bio takes a single reference for it.
        SSL_set_bio(ssl, bio, bio)
        self.context = context
        self.ssl = ssl
        self.bio = bio
        self.role = role
        self.mtu = mtu
        self.remoteFingerprint = remoteFingerprint

        switch role {
        case .client: SSL_set_connect_state(ssl)
        case .server: SSL_set_accept_state(ssl)
        }
        guard CEngageOpenSSL_SSL_set_mtu(ssl, mtu) == 1, CEngageOpenSSL_DTLS_set_link_mtu(ssl, mtu) == 1 else {
            throw DTLSError.openSSL("MTU \(mtu) refused (below OpenSSL's minimum?)")
        }
        let initialMicroseconds = max(1, min(initialRetransmitTimeout.nanoseconds / 1_000, 60_000_000))
        guard CEngageOpenSSL_DTLS_set_initial_timeout(ssl, UInt32(initialMicroseconds)) == 1 else {
            throw DTLSError.openSSL("setting the DTLS timer failed")
        }
    }

    deinit {
        SSL_free(ssl)
    }

    static func configure(_ context: OpaquePointer, certificate: DTLSCertificate, srtpProfiles: [SRTPProfile]) throws {
        // DTLS 1.0 lacks AEAD suites; every WebRTC peer speaks 1.2.
        guard CEngageOpenSSL_SSL_CTX_set_min_proto_version(context, DTLS1_2_VERSION) == 1 else {
            throw DTLSError.openSSL("requiring DTLS 1.2 failed")
        }
        guard SSL_CTX_set_cipher_list(context, cipherList) == 1 else { throw DTLSError.openSSL("cipher list refused") }
        guard CEngageOpenSSL_SSL_CTX_set1_groups_list(context, "X25519:P-256") == 1 else {
            throw DTLSError.openSSL("ECDH groups refused")
        }
        guard SSL_CTX_use_certificate(context, certificate.certificate) == 1,
              SSL_CTX_use_PrivateKey(context, certificate.privateKey) == 1,
              SSL_CTX_check_private_key(context) == 1
        else { throw DTLSError.openSSL("certificate or key refused") }
        // The peer must present a certificate; any will do here, since it is checked against
        // the SDP fingerprint after the handshake (self-signed is the norm in WebRTC).
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) { _, _ in 1 }
        // Returns 0 on success, unlike its neighbours.
        guard SSL_CTX_set_tlsext_use_srtp(context, srtpProfiles.map(\.openSSLName).joined(separator: ":")) == 0 else {
            throw DTLSError.openSSL("SRTP profiles refused")
        }
        // The datagram BIO cannot know a path MTU: records are sized by SSL_set_mtu alone.
        // WebRTC never resumes sessions, so a ticket would only lengthen the last flight.
        // WebRTC never renegotiates either (the SRTP keys are exported once): refusing it keeps a peer from
        // making us repeat the handshake's key exchange and signature on the event loop all connections share.
        _ = SSL_CTX_set_options(context, CEngageOpenSSL_SSL_OP_NO_QUERY_MTU | CEngageOpenSSL_SSL_OP_NO_TICKET
                                | CEngageOpenSSL_SSL_OP_NO_RENEGOTIATION)
        // Nor resumes from a cache, which in a context every connection shares could keep a session per
        // handshake any peer completes. OpenSSL already caches nothing while it verifies peers without a
        // session id context; switching the cache off keeps that true whatever changes around it.
        _ = CEngageOpenSSL_SSL_CTX_disable_session_cache(context)
    }

    // MARK: - Inputs

    /// Starts the handshake: a client queues its ClientHello, a server waits for one.
    public func start(at time: Timestamp) {
        now = time
        guard state == .idle else { return }
        state = .handshaking
        driveHandshake()
    }

    /// Feeds one received datagram (already demultiplexed as DTLS, RFC 7983).
    public func handleDatagram(_ bytes: ArraySlice<UInt8>, at time: Timestamp) {
        now = time
        switch state {
        case .closed, .failed: return
        case .idle: state = .handshaking
        case .handshaking, .awaitingFingerprint, .connected: break
        }
        // An empty read would look like end of file to OpenSSL; an empty datagram says nothing.
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer { buffer in
            // OpenSSL reads the datagram straight from `bytes`, only while this closure runs.
            CEngageOpenSSL_datagram_bio_lend_inbound(bio, buffer.baseAddress, buffer.count)
            defer { CEngageOpenSSL_datagram_bio_clear_inbound(bio) }
            if state == .handshaking {
                driveHandshake()
            } else {
                readApplicationData()
            }
        }
    }

    /// Retransmits the last flight if OpenSSL's timer has expired; call at `nextDeadline`.
    public func handleTimeout(at time: Timestamp) {
        now = time
        guard state == .handshaking || state == .awaitingFingerprint || state == .connected else { return }
        ERR_clear_error()
        if CEngageOpenSSL_DTLSv1_handle_timeout(ssl) < 0 {
            fail("DTLS handshake timed out", details: OpenSSLErrors.drain())
        }
    }

    /// Supplies the peer's SDP fingerprint when it arrives after the DTLS layer was created.
    public func setRemoteFingerprint(_ fingerprint: DTLSFingerprint) {
        guard state != .connected, state != .closed, state != .failed else { return }
        remoteFingerprint = fingerprint
        if state == .awaitingFingerprint { authenticatePeer() }
    }

    // MARK: - Outputs

    /// The next datagram to send, one DTLS record each, never longer than `mtu`.
    public func pollTransmit() -> [UInt8]? {
        let size = CEngageOpenSSL_datagram_bio_next_outbound_size(bio)
        guard size > 0 else { return nil }
        var datagram = [UInt8](repeating: 0, count: size)
        let popped = datagram.withUnsafeMutableBufferPointer { buffer in
            CEngageOpenSSL_datagram_bio_pop_outbound(bio, buffer.baseAddress, buffer.count)
        }
        return popped == size ? datagram : nil
    }

    public func pollEvent() -> DTLSEvent? {
        events.isEmpty ? nil : events.removeFirst()
    }

    /// When OpenSSL wants `handleTimeout`, on the caller's timeline.
    public var nextDeadline: Deadline? {
        guard state == .handshaking || state == .awaitingFingerprint || state == .connected else { return nil }
        var microseconds: Int64 = 0
        guard CEngageOpenSSL_DTLSv1_get_timeout(ssl, &microseconds) == 1 else { return nil }
        return Deadline(at: now + .microseconds(microseconds), reason: "DTLS retransmit")
    }

    public var isConnected: Bool { state == .connected }

    /// The largest `send` that still fits one record in one datagram of `mtu` bytes.
    public var maximumApplicationDataLength: Int {
        Int(DTLS_get_data_mtu(ssl))
    }

    /// Sends one application-data record; it must fit `maximumApplicationDataLength`.
    public func send(_ data: some Collection<UInt8>) throws {
        guard state == .connected else { throw DTLSError("DTLS send while not connected") }
        let bytes = Array(data)
        guard bytes.count <= maximumApplicationDataLength else {
            throw DTLSError("DTLS send of \(bytes.count) bytes exceeds the \(maximumApplicationDataLength) that fit a \(mtu)-byte datagram")
        }
        guard !bytes.isEmpty else { return }
        ERR_clear_error()
        let written = bytes.withUnsafeBufferPointer { buffer in
            SSL_write(ssl, buffer.baseAddress, Int32(buffer.count))
        }
        guard written == Int32(bytes.count) else {
            throw DTLSError.openSSL("DTLS send failed (SSL_get_error \(SSL_get_error(ssl, written)))")
        }
    }

    /// Queues close_notify; no events follow.
    public func close() {
        switch state {
        case .connected, .awaitingFingerprint:
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
            ERR_clear_error()
        case .idle, .handshaking, .closed, .failed:
            break
        }
        state = .closed
    }

    // MARK: - Driving OpenSSL

    private func driveHandshake() {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            state = .awaitingFingerprint
            if remoteFingerprint != nil { authenticatePeer() }
            // A record behind the Finished in the same datagram would otherwise wait.
            readApplicationData()
            return
        }
        handleFailure(of: result, during: "DTLS handshake failed")
    }

    private func readApplicationData() {
        while state == .connected || state == .awaitingFingerprint {
            ERR_clear_error()
            let count = readBuffer.withUnsafeMutableBufferPointer { buffer in
                SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))
            }
            guard count > 0 else {
                handleFailure(of: count, during: "DTLS read failed")
                return
            }
            let record = Array(readBuffer.prefix(Int(count)))
            if state == .connected {
                events.append(.applicationData(record))
            } else if heldApplicationData.count < 256 {
                // Bounded: SCTP retransmits what is dropped here.
                heldApplicationData.append(record)
            }
        }
    }

    private func handleFailure(of result: Int32, during operation: String) {
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return
        case SSL_ERROR_ZERO_RETURN:
            // close_notify: answer it, as RFC 5246 §7.2.1 asks.
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
            ERR_clear_error()
            state = .closed
            events.append(.closed)
        default:
            let details = OpenSSLErrors.drain()
            fail(operation, details: details.isEmpty ? DTLSEndpoint.name(ofSSLError: error) : details)
        }
    }

    private static func name(ofSSLError error: Int32) -> String {
        switch error {
        case SSL_ERROR_SSL: "SSL_ERROR_SSL"
        case SSL_ERROR_SYSCALL: "SSL_ERROR_SYSCALL (unexpected end of input)"
        default: "SSL_get_error \(error)"
        }
    }

    private func fail(_ message: String, details: String = "") {
        state = .failed
        events.append(.failed(details.isEmpty ? message : "\(message): \(details)"))
    }

    /// After the handshake: the certificate must be the one the SDP named; only then are
    /// SRTP keys released.
    private func authenticatePeer() {
        guard let expected = remoteFingerprint else { return }
        guard let peerCertificate = SSL_get1_peer_certificate(ssl) else {
            return fail("DTLS peer presented no certificate")
        }
        defer { X509_free(peerCertificate) }
        guard let der = try? DTLSCertificate.derEncoding(of: peerCertificate) else {
            return fail("DTLS peer certificate could not be encoded")
        }
        let actual = DTLSFingerprint(algorithm: expected.algorithm, certificateDER: der)
        guard actual == expected else {
            ERR_clear_error()
            _ = SSL_shutdown(ssl)  // tell the peer; it would otherwise wait for data forever
            ERR_clear_error()
            return fail("DTLS peer certificate fingerprint \(actual.sdpValue) does not match \(expected.sdpValue) from the SDP")
        }
        guard let selected = SSL_get_selected_srtp_profile(ssl) else {
            return fail("DTLS peer negotiated no SRTP profile (use_srtp missing)")
        }
        guard let profile = SRTPProfile(rawValue: UInt16(truncatingIfNeeded: selected.pointee.id)) else {
            return fail("DTLS peer negotiated unsupported SRTP profile \(selected.pointee.id)")
        }
        let keyMaterial: SRTPKeyMaterial
        do {
            keyMaterial = try exportKeys(profile: profile)
        } catch {
            return fail("DTLS-SRTP key export failed", details: "\(error)")
        }
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? "unknown"
        negotiation = DTLSNegotiation(version: String(cString: SSL_get_version(ssl)), cipher: cipher, srtpProfile: profile)
        state = .connected
        events.append(.connected(keyMaterial))
        for record in heldApplicationData { events.append(.applicationData(record)) }
        heldApplicationData = []
    }

    private func exportKeys(profile: SRTPProfile) throws -> SRTPKeyMaterial {
        let label = Array("EXTRACTOR-dtls_srtp".utf8)
        var block = [UInt8](repeating: 0, count: 2 * (profile.masterKeyLength + profile.masterSaltLength))
        ERR_clear_error()
        let result = label.withUnsafeBufferPointer { labelBuffer in
            labelBuffer.withMemoryRebound(to: CChar.self) { labelChars in
                SSL_export_keying_material(ssl, &block, block.count, labelChars.baseAddress, labelChars.count, nil, 0, 0)
            }
        }
        guard result == 1 else { throw DTLSError.openSSL("SSL_export_keying_material failed") }
        return try SRTPKeyMaterial(exported: block, profile: profile, localIsClient: role == .client)
    }
}

@available(*, unavailable, message: "a DTLS endpoint belongs to one owner")
extension DTLSEndpoint: Sendable {}
