/// Generic NACK: RTP packets the receiver asks to be sent again (RFC 4585 section 6.2.1),
/// an RTPFB (PT 205) with FMT 1.
///
///     sender SSRC | media SSRC
///     FCI, repeated:
///      0                   1                   2                   3
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |            PID                |             BLP               |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// Bit i of BLP (least significant first) marks PID + i + 1 as lost too.
public struct TransportLayerNack: RTCPMessage {
    public static let format: UInt8 = 1

    public struct Pair: Equatable, Sendable {
        public var packetID: UInt16
        public var lostBitmask: UInt16

        public init(packetID: UInt16, lostBitmask: UInt16 = 0) {
            self.packetID = packetID
            self.lostBitmask = lostBitmask
        }

        public var sequenceNumbers: [UInt16] {
            [packetID] + (0..<16).filter { lostBitmask & (1 << $0) != 0 }.map { packetID &+ UInt16($0) &+ 1 }
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var pairs: [Pair]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, pairs: [Pair]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.pairs = pairs
    }

    /// Packs sequence numbers, given in sending order (wrapping past 65535 is fine), into pairs.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lost: [UInt16]) {
        var pairs: [Pair] = []
        for sequence in lost {
            if var last = pairs.last {
                let offset = sequence &- last.packetID
                if offset == 0 { continue }
                if offset <= 16 {
                    last.lostBitmask |= 1 << (offset - 1)
                    pairs[pairs.count - 1] = last
                    continue
                }
            }
            pairs.append(Pair(packetID: sequence))
        }
        self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, pairs: pairs)
    }

    public var lostSequenceNumbers: [UInt16] { pairs.flatMap(\.sequenceNumbers) }

    public var packetType: UInt8 { RTCPPacketType.transportFeedback }
    public var countOrFormat: UInt8 { Self.format }

    public static func parseBody(_ reader: inout ByteReader, countOrFormat: UInt8) throws -> TransportLayerNack {
        let sources = try FeedbackSources.parse(&reader)
        guard reader.remaining % 4 == 0 else { throw ParseError("NACK: FCI not a whole number of pairs") }
        var pairs: [Pair] = []
        while !reader.isAtEnd {
            pairs.append(Pair(packetID: try reader.readUInt16(), lostBitmask: try reader.readUInt16()))
        }
        return TransportLayerNack(senderSSRC: sources.sender, mediaSSRC: sources.media, pairs: pairs)
    }

    public func writeBody(into writer: inout ByteWriter) {
        writer.write(senderSSRC)
        writer.write(mediaSSRC)
        for pair in pairs {
            writer.write(pair.packetID)
            writer.write(pair.lostBitmask)
        }
    }
}
