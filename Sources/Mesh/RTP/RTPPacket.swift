/// An RTP packet (RFC 3550 §5.1) with RFC 8285 header extensions, its payload a view into
/// the received bytes so that parsing copies nothing but the small header fields.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers  ...        |
/// |      defined by profile       |           length              |  if X
/// |                        header extension ...                   |
/// |                        payload ...    |  padding  | pad count |  if P
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// RTP has no length field, so a packet cut short inside its payload still parses (with a
/// shorter payload); every cut inside the header, CSRC list or extension block throws.
public struct RTPPacket: Sendable, Equatable {
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcs: [UInt32]
    /// The extension block's "defined by profile" field, nil when the X bit is clear. When
    /// building a packet, leave it nil: serialization picks the one-byte form if it fits.
    public var extensionProfile: UInt16?
    public var extensions: [RTPHeaderExtension]
    /// Padding bytes removed from the end, including the count byte; kept so that
    /// serialization reproduces the packet's length (the padding is written as zeros).
    public var paddingLength: Int
    public var payload: ArraySlice<UInt8>

    /// A packet to send.
    public init(
        payloadType: UInt8,
        sequenceNumber: UInt16,
        timestamp: UInt32,
        ssrc: UInt32,
        marker: Bool = false,
        extensions: [RTPHeaderExtension] = [],
        payload: ArraySlice<UInt8>
    ) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = []
        self.extensionProfile = nil
        self.extensions = extensions
        self.paddingLength = 0
        self.payload = payload
    }

    public init(parsing bytes: ArraySlice<UInt8>) throws {
        var reader = ByteReader(bytes)
        let first = try reader.readUInt8()
        guard first >> 6 == 2 else { throw ParseError("RTP: version \(first >> 6), expected 2") }
        let second = try reader.readUInt8()
        let sequenceNumber = try reader.readUInt16()
        let timestamp = try reader.readUInt32()
        let ssrc = try reader.readUInt32()

        let csrcCount = Int(first & 0x0F)
        var csrcs: [UInt32] = []
        if csrcCount > 0 {
            guard reader.remaining >= 4 * csrcCount else {
                throw ParseError("RTP: truncated CSRC list of \(csrcCount)")
            }
            csrcs.reserveCapacity(csrcCount)
            for _ in 0..<csrcCount { csrcs.append(try reader.readUInt32()) }
        }

        var extensionProfile: UInt16?
        var extensions: [RTPHeaderExtension] = []
        if first & 0x10 != 0 {
            let profile = try reader.readUInt16()
            let words = Int(try reader.readUInt16())
            let block = try reader.readBytes(words * 4)
            extensionProfile = profile
            extensions = try RTPHeaderExtension.parse(profile: profile, block: block)
        }

        var rest = reader.readRest()
        var paddingLength = 0
        if first & 0x20 != 0 {
            guard let count = rest.last else { throw ParseError("RTP: padding bit set but no padding") }
            guard count > 0, Int(count) <= rest.count else {
                throw ParseError("RTP: padding count \(count) with \(rest.count) bytes after the header")
            }
            paddingLength = Int(count)
            rest = rest.dropLast(Int(count))
        }
        // Every part handed over once, at the end: assigned one by one to a throwing initializer's `self`,
        // the parsed packet was copied whole on the way out (its three buffers retained once more).
        self.init(marker: second & 0x80 != 0, payloadType: second & 0x7F, sequenceNumber: sequenceNumber,
                  timestamp: timestamp, ssrc: ssrc, csrcs: csrcs, extensionProfile: extensionProfile,
                  extensions: extensions, paddingLength: paddingLength, payload: rest)
    }

    private init(marker: Bool, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
                 csrcs: [UInt32], extensionProfile: UInt16?, extensions: [RTPHeaderExtension], paddingLength: Int,
                 payload: ArraySlice<UInt8>) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.extensionProfile = extensionProfile
        self.extensions = extensions
        self.paddingLength = paddingLength
        self.payload = payload
    }

    public init(parsing bytes: [UInt8]) throws { try self.init(parsing: bytes[...]) }

    /// The data of the first extension element with `id`, if any.
    public func extensionData(id: UInt8) -> ArraySlice<UInt8>? {
        extensions.first { $0.id == id }?.data
    }

    /// The profile that serialization writes: the stored one unless its form cannot carry
    /// the elements (a builder added a long or high-id element to a one-byte packet).
    var effectiveExtensionProfile: UInt16? {
        if let extensionProfile {
            if extensionProfile == RTPHeaderExtension.oneByteProfile,
                !RTPHeaderExtension.fitOneByteForm(extensions)
            {
                return RTPHeaderExtension.twoByteProfile
            }
            return extensionProfile
        }
        if extensions.isEmpty { return nil }
        return RTPHeaderExtension.fitOneByteForm(extensions)
            ? RTPHeaderExtension.oneByteProfile : RTPHeaderExtension.twoByteProfile
    }

    /// Length of the serialized packet.
    public var serializedCount: Int {
        var count = 12 + 4 * csrcs.count + payload.count + paddingLength
        if let profile = effectiveExtensionProfile {
            count += 4 + (RTPHeaderExtension.unpaddedLength(extensions, profile: profile) + 3) & ~3
        }
        return count
    }

    public func serialized() -> [UInt8] {
        var writer = ByteWriter(capacity: serializedCount)
        serialize(into: &writer)
        return writer.bytes
    }

    /// Appends the packet, so that a caller (SRTP) can reserve room for its tag up front.
    ///
    /// Callers building packets must keep extension data within 255 bytes and at most 15
    /// CSRCs; a parsed packet always satisfies both.
    public func serialize(into writer: inout ByteWriter) {
        let profile = effectiveExtensionProfile
        var first: UInt8 = 0x80 | UInt8(truncatingIfNeeded: csrcs.count) & 0x0F
        if paddingLength > 0 { first |= 0x20 }
        if profile != nil { first |= 0x10 }
        writer.write(first)
        writer.write((marker ? 0x80 : 0) | payloadType & 0x7F)
        writer.write(sequenceNumber)
        writer.write(timestamp)
        writer.write(ssrc)
        for csrc in csrcs { writer.write(csrc) }
        if let profile {
            RTPHeaderExtension.write(extensions, profile: profile, to: &writer)
        }
        writer.write(contentsOf: payload)
        if paddingLength > 0 {
            writer.writeZeros(paddingLength - 1)
            writer.write(UInt8(truncatingIfNeeded: paddingLength))
        }
    }
}
