/// REMB: the total bitrate the receiver estimates it can take from these SSRCs
/// (draft-alvestrand-rmcat-remb-03), an application-layer PSFB (PT 206, FMT 15):
///
///     sender SSRC | media SSRC (always 0)
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |  Unique identifier 'R' 'E' 'M' 'B'                            |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |  Num SSRC     | BR Exp    |  BR Mantissa                      |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |   SSRC feedback, repeated                                     |
///
/// The bitrate is mantissa (18 bits) × 2^exponent (6 bits) in bits per second.
public struct ReceiverEstimatedMaximumBitrate: RTCPMessage {
    public static let format: UInt8 = 15
    static let identifier: UInt32 = 0x5245_4d42  // "REMB"
    static let mantissaBits = 18

    public var senderSSRC: UInt32
    /// Bits per second. Written with the smallest exponent that fits, rounding down,
    /// so a sender never reads more than we meant.
    public var bitrate: UInt64
    /// At most 255 fit the count field; more are left out when written.
    public var ssrcs: [UInt32]

    public init(senderSSRC: UInt32, bitrate: UInt64, ssrcs: [UInt32]) {
        self.senderSSRC = senderSSRC
        self.bitrate = bitrate
        self.ssrcs = ssrcs
    }

    public var packetType: UInt8 { RTCPPacketType.payloadFeedback }
    public var countOrFormat: UInt8 { Self.format }

    /// The (exponent, mantissa) pair written for `bitrate`.
    public var exponentAndMantissa: (exponent: UInt8, mantissa: UInt32) {
        var exponent: UInt8 = 0
        while bitrate >> exponent >= 1 << Self.mantissaBits { exponent += 1 }
        return (exponent, UInt32(bitrate >> exponent))
    }

    /// True when this application-layer feedback body is a REMB rather than another AFB.
    static func matches(_ body: ArraySlice<UInt8>) -> Bool {
        var reader = ByteReader(body)
        return (try? reader.skip(8)) != nil && (try? reader.readUInt32()) == identifier
    }

    public static func parseBody(
        _ reader: inout ByteReader, countOrFormat: UInt8
    ) throws -> ReceiverEstimatedMaximumBitrate {
        let sources = try FeedbackSources.parse(&reader)
        guard try reader.readUInt32() == identifier else { throw ParseError("REMB: missing 'REMB' identifier") }
        let count = try reader.readUInt8()
        let packed = try reader.readUInt24()
        let exponent = packed >> Self.mantissaBits
        let mantissa = UInt64(packed & (1 << Self.mantissaBits - 1))
        // Exponents up to 63 can describe more than 64 bits; saturate rather than wrap, at the largest value
        // a REMB can carry (full mantissa, exponent 46), so what we read is what we would write.
        let largest = UInt64(1 << Self.mantissaBits - 1) << (64 - Self.mantissaBits)
        let bitrate = mantissa == 0 ? 0 : (mantissa.leadingZeroBitCount >= exponent ? min(mantissa << exponent, largest) : largest)
        var ssrcs: [UInt32] = []
        for _ in 0..<count {
            ssrcs.append(try reader.readUInt32())
        }
        return ReceiverEstimatedMaximumBitrate(senderSSRC: sources.sender, bitrate: bitrate, ssrcs: ssrcs)
    }

    public func writeBody(into writer: inout ByteWriter) {
        let written = ssrcs.prefix(255)
        let (exponent, mantissa) = exponentAndMantissa
        writer.write(senderSSRC)
        writer.write(UInt32(0))
        writer.write(Self.identifier)
        writer.write(UInt8(written.count))
        writer.writeUInt24(UInt32(exponent) << Self.mantissaBits | mantissa)
        for ssrc in written { writer.write(ssrc) }
    }
}
