/// RFC 7983 demultiplexing of one UDP 5-tuple by the first byte of each datagram:
///
///              +----------------+
///              |        [0..3] -+--> STUN
///              |      [16..19] -+--> ZRTP (not used)
///  packet -->  |      [20..63] -+--> DTLS
///              |      [64..79] -+--> TURN channel (not used)
///              |    [128..191] -+--> RTP/RTCP
///              +----------------+
///
/// RTP and RTCP share a range; RFC 5761 tells them apart by the second byte (RTCP packet types 192–223).
public enum DatagramKind: Equatable, Sendable {
    case stun, dtls, rtp, rtcp, unknown

    // Inlinable: the socket classifies every datagram it reads and sends, and unspecialized, reading the first
    // byte through the protocol witness allocated (perf, release).
    @inlinable
    public init(classifying bytes: some Collection<UInt8>) {
        guard let first = bytes.first else {
            self = .unknown
            return
        }
        switch first {
        case 0...3: self = .stun
        case 20...63: self = .dtls
        case 128...191:
            guard bytes.count >= 2 else {
                self = .unknown
                return
            }
            let second = bytes[bytes.index(after: bytes.startIndex)]
            self = (192...223).contains(second) ? .rtcp : .rtp
        default: self = .unknown
        }
    }
}
