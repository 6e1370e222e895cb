@testable import Mesh

/// Two endpoints of ours wired back to back in memory, with a hook to lose datagrams.
final class DTLSPair {
    let clientCertificate: DTLSCertificate
    let serverCertificate: DTLSCertificate
    let client: DTLSEndpoint
    let server: DTLSEndpoint
    var clientEvents: [DTLSEvent] = []
    var serverEvents: [DTLSEvent] = []
    /// Every datagram either side sent, with its sender.
    var sent: [(from: DTLSRole, bytes: [UInt8])] = []
    /// Virtual time, advanced to each deadline.
    var now = Timestamp.zero

    init(
        clientExpects: DTLSFingerprint? = nil, serverExpects: DTLSFingerprint? = nil,
        expectNoFingerprintOnServer: Bool = false,
        mtu: Int = 1200,
        clientProfiles: [SRTPProfile] = SRTPProfile.preferenceOrder,
        serverProfiles: [SRTPProfile] = SRTPProfile.preferenceOrder,
        initialRetransmitTimeout: Duration = .seconds(1)
    ) throws {
        clientCertificate = try DTLSCertificate()
        serverCertificate = try DTLSCertificate()
        client = try DTLSEndpoint(
            role: .client, certificate: clientCertificate,
            remoteFingerprint: clientExpects ?? serverCertificate.fingerprint, mtu: mtu,
            srtpProfiles: clientProfiles, initialRetransmitTimeout: initialRetransmitTimeout)
        server = try DTLSEndpoint(
            role: .server, certificate: serverCertificate,
            remoteFingerprint: expectNoFingerprintOnServer ? nil : (serverExpects ?? clientCertificate.fingerprint), mtu: mtu,
            srtpProfiles: serverProfiles, initialRetransmitTimeout: initialRetransmitTimeout)
    }

    /// Moves datagrams both ways until neither side has any; `drop` sees each one first.
    func exchange(drop: (DTLSRole, [UInt8]) -> Bool = { _, _ in false }) {
        var moved = true
        while moved {
            moved = false
            while let datagram = client.pollTransmit() {
                moved = true
                sent.append((.client, datagram))
                if !drop(.client, datagram) { server.handleDatagram(datagram[...], at: now) }
            }
            while let datagram = server.pollTransmit() {
                moved = true
                sent.append((.server, datagram))
                if !drop(.server, datagram) { client.handleDatagram(datagram[...], at: now) }
            }
        }
        while let event = client.pollEvent() { clientEvents.append(event) }
        while let event = server.pollEvent() { serverEvents.append(event) }
    }

    func connect() {
        client.start(at: now)
        server.start(at: now)
        exchange()
    }

    var clientKeys: SRTPKeyMaterial? { Self.keys(in: clientEvents) }
    var serverKeys: SRTPKeyMaterial? { Self.keys(in: serverEvents) }

    static func keys(in events: [DTLSEvent]) -> SRTPKeyMaterial? {
        for case .connected(let keys) in events { return keys }
        return nil
    }

    static func applicationData(in events: [DTLSEvent]) -> [[UInt8]] {
        events.compactMap { event in
            if case .applicationData(let bytes) = event { return bytes }
            return nil
        }
    }
}

/// DTLS content type of the first record, to tell flights apart in drop rules.
func dtlsContentType(_ datagram: [UInt8]) -> UInt8? { datagram.first }
/// The handshake message type of a record holding a handshake message (epoch 0 only).
func dtlsHandshakeType(_ datagram: [UInt8]) -> UInt8? {
    guard datagram.count > 13, datagram[0] == 22, datagram[3] == 0, datagram[4] == 0 else { return nil }
    return datagram[13]
}

/// True when the datagram is exactly one DTLS record (header length field covers the rest).
func isSingleDTLSRecord(_ datagram: [UInt8]) -> Bool {
    guard datagram.count >= 13 else { return false }
    return 13 + (Int(datagram[11]) << 8 | Int(datagram[12])) == datagram.count
}
