/// SR: what a sender has sent, tied to wall-clock time, plus its reception reports
/// (RFC 3550 section 6.4.1).
///
///     header (RC = report count, PT = 200)
///     SSRC of sender
///     NTP timestamp (64 bits) | RTP timestamp | packet count | octet count
///     report blocks (24 bytes each), then optional profile-specific extensions
public struct SenderReport: RTCPMessage {
    public var ssrc: UInt32
    public var ntpTime: NTPTime
    /// The same instant as `ntpTime` on the RTP clock of this source.
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32
    /// At most 31 fit in one packet.
    public var reportBlocks: [ReportBlock]
    /// Kept so a parsed packet serializes back to the same bytes; a multiple of 4 bytes.
    public var profileExtensions: [UInt8]

    public init(
        ssrc: UInt32, ntpTime: NTPTime, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32,
        reportBlocks: [ReportBlock] = [], profileExtensions: [UInt8] = []
    ) {
        self.ssrc = ssrc
        self.ntpTime = ntpTime
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reportBlocks = reportBlocks
        self.profileExtensions = profileExtensions
    }

    public var packetType: UInt8 { RTCPPacketType.senderReport }
    public var countOrFormat: UInt8 {
        UInt8(min(reportBlocks.count, ReportBlock.maximumPerPacket))
    }

    public static func parseBody(_ reader: inout ByteReader, countOrFormat: UInt8) throws -> SenderReport {
        var report = SenderReport(
            ssrc: try reader.readUInt32(), ntpTime: NTPTime(rawValue: try reader.readUInt64()),
            rtpTimestamp: try reader.readUInt32(), packetCount: try reader.readUInt32(),
            octetCount: try reader.readUInt32())
        for _ in 0..<countOrFormat {
            report.reportBlocks.append(try ReportBlock.parse(&reader))
        }
        report.profileExtensions = Array(reader.readRest())
        return report
    }

    public func writeBody(into writer: inout ByteWriter) {
        writer.write(ssrc)
        writer.write(ntpTime.rawValue)
        writer.write(rtpTimestamp)
        writer.write(packetCount)
        writer.write(octetCount)
        for block in reportBlocks.prefix(ReportBlock.maximumPerPacket) { block.write(into: &writer) }
        writer.write(contentsOf: profileExtensions)
    }
}
