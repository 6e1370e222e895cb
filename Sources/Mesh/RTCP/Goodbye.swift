/// BYE: these sources are leaving (RFC 3550 section 6.6). Browsers send it when a page
/// closes a connection, often before ICE notices anything.
///
///     header (SC = source count, PT = 203)
///     SSRC/CSRC list
///     optional: length (8 bits), reason for leaving (UTF-8), padded to 32 bits
public struct Goodbye: RTCPMessage {
    /// At most 31 fit in one packet; more are left out when written.
    public var sources: [UInt32]
    /// At most 255 bytes of UTF-8; a longer one is cut when written.
    public var reason: [UInt8]?

    public init(sources: [UInt32], reason: [UInt8]? = nil) {
        self.sources = sources
        self.reason = reason
    }

    public var packetType: UInt8 { RTCPPacketType.goodbye }
    public var countOrFormat: UInt8 {
        UInt8(min(sources.count, 31))
    }

    public static func parseBody(_ reader: inout ByteReader, countOrFormat: UInt8) throws -> Goodbye {
        var bye = Goodbye(sources: [])
        for _ in 0..<countOrFormat {
            bye.sources.append(try reader.readUInt32())
        }
        if !reader.isAtEnd {
            let length = try reader.readUInt8()
            bye.reason = Array(try reader.readBytes(Int(length)))
            // What follows the reason is its padding to a 32-bit boundary.
            _ = reader.readRest()
        }
        return bye
    }

    public func writeBody(into writer: inout ByteWriter) {
        for source in sources.prefix(31) { writer.write(source) }
        if let fullReason = reason {
            let reason = fullReason.prefix(255)
            writer.write(UInt8(reason.count))
            writer.write(contentsOf: reason)
            writer.writeZeros((4 - (1 + reason.count) % 4) % 4)
        }
    }
}
