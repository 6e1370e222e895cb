/// Splits the RTCP packets of one report into datagrams that each fit the path MTU.
///
/// A compound packet is never fragmented by IP on the paths WebRTC runs over: one that
/// exceeds the MTU is simply lost, and with it every report block in it. So the packets are
/// laid out in order, greedily, starting a new datagram whenever the next one would not fit.
/// Each report type bounds its own size (an RR carries at most 31 blocks), so a single packet
/// fits on its own; one that still does not is left out and counted rather than sent to be lost.
/// RFC 3550 wants every compound to open with an SR or RR: a datagram that would open with
/// something else gets `opening` (our empty RR) first.
extension RTCPCompound {
    /// Room for the RTCP inside a 1200-byte datagram once SRTCP adds its index and tag
    /// (4 + 16 bytes with AES-GCM, 4 + 10 with AES-CM/HMAC-SHA1-80).
    public static let maximumPlainDatagramSize = 1200 - 20

    public struct Packing: Sendable {
        public var datagrams: [[UInt8]] = []
        /// Packets too large for a datagram of their own.
        public var leftOut = 0
    }

    public static func pack(
        _ packets: [RTCPPacket], opening: RTCPPacket? = nil, maximumSize: Int = maximumPlainDatagramSize
    ) -> Packing {
        var packing = Packing()
        let openingBytes: [UInt8] = opening.map { packet in
            var writer = ByteWriter()
            packet.write(into: &writer)
            return writer.bytes
        } ?? []
        var current = ByteWriter(capacity: 256)
        for packet in packets {
            var single = ByteWriter()
            packet.write(into: &single)
            guard single.count > 0, single.count <= maximumSize else {
                packing.leftOut += 1
                continue
            }
            if current.count + single.count > maximumSize {
                packing.datagrams.append(current.bytes)
                current = ByteWriter(capacity: 256)
            }
            if current.count == 0, !packet.isReport, openingBytes.count + single.count <= maximumSize {
                current.write(contentsOf: openingBytes)
            }
            current.write(contentsOf: single.bytes)
        }
        if current.count > 0 { packing.datagrams.append(current.bytes) }
        return packing
    }
}

extension RTCPPacket {
    /// SR and RR: the packets a compound opens with.
    var isReport: Bool {
        switch self {
        case .senderReport, .receiverReport: true
        default: false
        }
    }
}
