import Mesh

/// The data channel establishment protocol (RFC 8832) as it arrives on an SCTP stream with PPID 50:
/// DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK, round-tripped through our writer.
enum DCEPTarget {
    static let target = FuzzTarget(name: "dcep", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        if let open = try? DataChannelOpen.parse(bytes) {
            _ = open.channelType.isOrdered
            RoundTrip.require(open, try? DataChannelOpen.parse(open.serialize()), "DCEP open")
        }
        if let ack = try? DataChannelAck.parse(bytes) {
            RoundTrip.require(ack, try? DataChannelAck.parse(ack.serialize()), "DCEP ack")
        }
    }

    static func seeds() -> [[UInt8]] {
        [
            DataChannelOpen(label: "channel").serialize(),
            DataChannelOpen(channelType: .partialReliableRexmitUnordered, priority: 512, reliabilityParameter: 3,
                            label: "chat ✓", protocol: "engage").serialize(),
            DataChannelAck().serialize(),
            [DataChannelAck.messageType, 0, 0, 0],  // Pion's ACK, padded to four bytes
        ]
    }
}
