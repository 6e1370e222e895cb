/// FIR: a demand for a decoder refresh point (RFC 5104 section 4.3.1), a PSFB (PT 206)
/// with FMT 4. The media SSRC in the common header is unused (zero); each FCI entry
/// names its target:
///
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                              SSRC                             |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     | Seq nr.       |    Reserved                                   |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// The sequence number increases per new request, so a repeat of the same number is a
/// retransmission the sender must not answer twice.
public struct FullIntraRequest: RTCPMessage {
    public static let format: UInt8 = 4

    public struct Entry: Equatable, Sendable {
        public var ssrc: UInt32
        public var sequenceNumber: UInt8

        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    public var senderSSRC: UInt32
    public var entries: [Entry]

    public init(senderSSRC: UInt32, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.entries = entries
    }

    public var packetType: UInt8 { RTCPPacketType.payloadFeedback }
    public var countOrFormat: UInt8 { Self.format }

    public static func parseBody(_ reader: inout ByteReader, countOrFormat: UInt8) throws -> FullIntraRequest {
        let sources = try FeedbackSources.parse(&reader)
        guard reader.remaining % 8 == 0 else { throw ParseError("FIR: FCI not a whole number of entries") }
        var entries: [Entry] = []
        while !reader.isAtEnd {
            let ssrc = try reader.readUInt32()
            let sequenceNumber = try reader.readUInt8()
            try reader.skip(3)
            entries.append(Entry(ssrc: ssrc, sequenceNumber: sequenceNumber))
        }
        return FullIntraRequest(senderSSRC: sources.sender, entries: entries)
    }

    public func writeBody(into writer: inout ByteWriter) {
        writer.write(senderSSRC)
        writer.write(UInt32(0))
        for entry in entries {
            writer.write(entry.ssrc)
            writer.write(entry.sequenceNumber)
            writer.writeZeros(3)
        }
    }
}
