import Mesh

/// RTP (RFC 3550) with one-byte and two-byte header extensions (RFC 8285), as it comes out of SRTP:
/// parse, re-serialize, and the result must parse to the same packet.
enum RTPPacketTarget {
    static let target = FuzzTarget(name: "rtp", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        guard let packet = try? RTPPacket(parsing: bytes) else { return }
        for id: UInt8 in [0, 1, 2, 3, 4, 14, 15, 255] { _ = packet.extensionData(id: id) }
        let serialized = packet.serialized()
        RoundTrip.require(serialized.count == packet.serializedCount, "RTP: serializedCount \(packet.serializedCount) but wrote \(serialized.count)")
        RoundTrip.require(packet, try? RTPPacket(parsing: serialized), "RTP")
    }

    static func seeds() -> [[UInt8]] {
        let plain = RTPPacket(payloadType: 96, sequenceNumber: 65535, timestamp: 3_000_000_000, ssrc: 0x1234_5678,
                              marker: true, payload: [0x90, 0x80, 0x00, 0x01, 0x02][...])
        var oneByte = RTPPacket(payloadType: 111, sequenceNumber: 7, timestamp: 960, ssrc: 42, payload: [0xFC, 0xFF, 0xFE][...])
        oneByte.extensions = [RTPHeaderExtension(id: 1, data: [0x30][...]), RTPHeaderExtension(id: 3, data: [0x01, 0x02][...])]
        var twoByte = RTPPacket(payloadType: 96, sequenceNumber: 8, timestamp: 90_000, ssrc: 43, payload: [0x10, 0x00][...])
        twoByte.extensions = [RTPHeaderExtension(id: 20, data: Array(repeating: 0xAB, count: 20)[...]),
                              RTPHeaderExtension(id: 2, data: [][...])]
        var withCSRC = plain
        withCSRC.csrcs = [1, 2, 3]
        withCSRC.paddingLength = 4
        return [plain.serialized(), oneByte.serialized(), twoByte.serialized(), withCSRC.serialized()]
    }
}
