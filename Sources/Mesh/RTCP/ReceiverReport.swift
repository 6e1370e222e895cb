/// RR: reception reports from a participant that is not sending (RFC 3550 section 6.4.2).
///
///     header (RC = report count, PT = 201)
///     SSRC of packet sender
///     report blocks (24 bytes each), then optional profile-specific extensions
///
/// A peer that only receives still needs an SSRC here; with no sources to report on,
/// an empty RR still opens every compound packet.
public struct ReceiverReport: RTCPMessage {
    public var ssrc: UInt32
    /// At most 31 fit in one packet; more are left out when written (`RTCPCompound.receiverReport` splits).
    public var reportBlocks: [ReportBlock]
    /// Kept so a parsed packet serializes back to the same bytes; a multiple of 4 bytes.
    public var profileExtensions: [UInt8]

    public init(ssrc: UInt32, reportBlocks: [ReportBlock] = [], profileExtensions: [UInt8] = []) {
        self.ssrc = ssrc
        self.reportBlocks = reportBlocks
        self.profileExtensions = profileExtensions
    }

    public var packetType: UInt8 { RTCPPacketType.receiverReport }
    public var countOrFormat: UInt8 {
        UInt8(min(reportBlocks.count, ReportBlock.maximumPerPacket))
    }

    public static func parseBody(_ reader: inout ByteReader, countOrFormat: UInt8) throws -> ReceiverReport {
        var report = ReceiverReport(ssrc: try reader.readUInt32())
        for _ in 0..<countOrFormat {
            report.reportBlocks.append(try ReportBlock.parse(&reader))
        }
        report.profileExtensions = Array(reader.readRest())
        return report
    }

    public func writeBody(into writer: inout ByteWriter) {
        writer.write(ssrc)
        for block in reportBlocks.prefix(ReportBlock.maximumPerPacket) { block.write(into: &writer) }
        writer.write(contentsOf: profileExtensions)
    }
}
