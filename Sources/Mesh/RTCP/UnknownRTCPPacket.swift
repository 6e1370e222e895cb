/// A packet this library does not interpret (APP, XR, other feedback formats), kept
/// as it came so a compound can be passed on or logged without losing it.
public struct UnknownRTCPPacket: RTCPMessage {
    public var packetType: UInt8
    public var countOrFormat: UInt8
    /// Everything after the 4-byte header, RTCP padding removed.
    public var body: [UInt8]

    public init(packetType: UInt8, countOrFormat: UInt8, body: [UInt8]) {
        self.packetType = packetType
        self.countOrFormat = countOrFormat & 0x1f
        self.body = body
    }

    public static func parseBody(_ reader: inout ByteReader, countOrFormat: UInt8) throws -> UnknownRTCPPacket {
        // The walker builds unknown packets itself, since only it knows the packet type.
        throw ParseError("RTCP: unknown packets are built by RTCPCompound")
    }

    public func writeBody(into writer: inout ByteWriter) {
        writer.write(contentsOf: body)
    }
}
