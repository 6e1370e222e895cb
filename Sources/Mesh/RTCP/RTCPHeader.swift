/// The four bytes that open every RTCP packet (RFC 3550 section 6.4.1):
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |V=2|P| RC/FMT  |      PT       |             length            |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// The 5-bit field is a report/source count for SR, RR, SDES and BYE, and the
/// feedback message type (FMT) for RTPFB and PSFB (RFC 4585 section 6.1).
public struct RTCPHeader: Equatable, Sendable {
    public static let size = 4

    public var hasPadding: Bool
    public var countOrFormat: UInt8
    public var packetType: UInt8
    /// Length of the whole packet in 32-bit words minus one, as on the wire.
    public var length: UInt16

    public init(hasPadding: Bool = false, countOrFormat: UInt8, packetType: UInt8, length: UInt16) {
        self.hasPadding = hasPadding
        self.countOrFormat = countOrFormat
        self.packetType = packetType
        self.length = length
    }

    /// The whole packet, header included, in bytes.
    public var packetSize: Int { (Int(length) + 1) * 4 }

    public static func parse(_ reader: inout ByteReader) throws -> RTCPHeader {
        let first = try reader.readUInt8()
        guard first >> 6 == 2 else { throw ParseError("RTCP: version \(first >> 6), expected 2") }
        let packetType = try reader.readUInt8()
        let length = try reader.readUInt16()
        return RTCPHeader(
            hasPadding: first & 0x20 != 0, countOrFormat: first & 0x1f, packetType: packetType, length: length)
    }

    public func write(into writer: inout ByteWriter) {
        writer.write(UInt8(0x80 | (hasPadding ? 0x20 : 0) | (countOrFormat & 0x1f)))
        writer.write(packetType)
        writer.write(length)
    }
}

/// RTCP packet types (RFC 3550, RFC 4585).
public enum RTCPPacketType {
    public static let senderReport: UInt8 = 200
    public static let receiverReport: UInt8 = 201
    public static let sourceDescription: UInt8 = 202
    public static let goodbye: UInt8 = 203
    public static let applicationDefined: UInt8 = 204
    /// Transport-layer feedback (RFC 4585): NACK, TWCC.
    public static let transportFeedback: UInt8 = 205
    /// Payload-specific feedback (RFC 4585): PLI, FIR, REMB.
    public static let payloadFeedback: UInt8 = 206
}

/// One RTCP message type: it knows its header fields and its body after the header.
///
/// Parsers receive exactly the packet's body with any RTCP padding already stripped,
/// so running out of bytes inside it always means the sender's lengths disagree.
public protocol RTCPMessage: Equatable, Sendable {
    var packetType: UInt8 { get }
    var countOrFormat: UInt8 { get }
    func writeBody(into writer: inout ByteWriter)
    static func parseBody(_ reader: inout ByteReader, countOrFormat: UInt8) throws -> Self
}

extension RTCPMessage {
    /// Appends the packet; bodies that do not end on a 32-bit boundary get RTCP padding
    /// (P bit, zeros, then the padding count), which is how libwebrtc pads TWCC feedback.
    public func write(into writer: inout ByteWriter) {
        var body = ByteWriter()
        writeBody(into: &body)
        let padding = (4 - body.count % 4) % 4
        let words = (body.count + padding) / 4
        // Every writer bounds its body far below this; a body that still overflows the length
        // field is left out rather than written with a wrapped length.
        guard words <= Int(UInt16.max) else { return }
        RTCPHeader(hasPadding: padding > 0, countOrFormat: countOrFormat, packetType: packetType, length: UInt16(words))
            .write(into: &writer)
        writer.write(contentsOf: body.bytes)
        if padding > 0 {
            writer.writeZeros(padding - 1)
            writer.write(UInt8(padding))
        }
    }

    public func serialize() -> [UInt8] {
        var writer = ByteWriter()
        write(into: &writer)
        return writer.bytes
    }

    /// Parses exactly one packet of this type filling all of `bytes`.
    public static func parse(_ bytes: [UInt8]) throws -> Self {
        let packets = try RTCPCompound.parse(bytes)
        guard packets.count == 1, let message = packets[0].message as? Self else {
            throw ParseError("RTCP: expected one \(Self.self)")
        }
        return message
    }
}

/// Reads the SSRC pair that opens every RTPFB/PSFB body (RFC 4585 section 6.1).
struct FeedbackSources {
    var sender: UInt32
    var media: UInt32

    static func parse(_ reader: inout ByteReader) throws -> FeedbackSources {
        FeedbackSources(sender: try reader.readUInt32(), media: try reader.readUInt32())
    }
}
