/// DATA_CHANNEL_OPEN (RFC 8832 section 5.1), sent on the new channel's stream with PPID 50.
///
///     message type (8) = 0x03 | channel type (8) | priority (16)
///     reliability parameter (32) | label length (16) | protocol length (16) | label | protocol
public struct DataChannelOpen: Equatable, Sendable {
    public static let messageType: UInt8 = 0x03

    /// RFC 8832 section 8.2.2; the high bit makes any of them unordered.
    public struct ChannelType: RawRepresentable, Equatable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let reliable = ChannelType(rawValue: 0x00)
        public static let reliableUnordered = ChannelType(rawValue: 0x80)
        public static let partialReliableRexmit = ChannelType(rawValue: 0x01)
        public static let partialReliableRexmitUnordered = ChannelType(rawValue: 0x81)
        public static let partialReliableTimed = ChannelType(rawValue: 0x02)
        public static let partialReliableTimedUnordered = ChannelType(rawValue: 0x82)

        public var isOrdered: Bool { rawValue & 0x80 == 0 }
    }

    public var channelType: ChannelType
    public var priority: UInt16
    /// Retransmissions or milliseconds for the partially reliable types; ignored otherwise.
    public var reliabilityParameter: UInt32
    public var label: String
    public var `protocol`: String

    public init(
        channelType: ChannelType = .reliable, priority: UInt16 = 256, reliabilityParameter: UInt32 = 0,
        label: String, protocol: String = ""
    ) {
        self.channelType = channelType
        self.priority = priority
        self.reliabilityParameter = reliabilityParameter
        self.label = label
        self.protocol = `protocol`
    }

    public static func parse(_ bytes: [UInt8]) throws -> DataChannelOpen {
        var reader = ByteReader(bytes)
        guard try reader.readUInt8() == messageType else { throw ParseError("DCEP: not a DATA_CHANNEL_OPEN") }
        let channelType = ChannelType(rawValue: try reader.readUInt8())
        let priority = try reader.readUInt16()
        let reliability = try reader.readUInt32()
        let labelLength = Int(try reader.readUInt16())
        let protocolLength = Int(try reader.readUInt16())
        let label = try reader.readBytes(labelLength)
        let protocolBytes = try reader.readBytes(protocolLength)
        guard reader.isAtEnd else { throw ParseError("DCEP: \(reader.remaining) bytes after DATA_CHANNEL_OPEN") }
        return DataChannelOpen(
            channelType: channelType, priority: priority, reliabilityParameter: reliability,
            label: String(decoding: label, as: UTF8.self), protocol: String(decoding: protocolBytes, as: UTF8.self))
    }

    public func serialize() -> [UInt8] {
        let labelBytes = Array(label.utf8.prefix(Int(UInt16.max)))
        let protocolBytes = Array(`protocol`.utf8.prefix(Int(UInt16.max)))
        var writer = ByteWriter(capacity: 12 + labelBytes.count + protocolBytes.count)
        writer.write(Self.messageType)
        writer.write(channelType.rawValue)
        writer.write(priority)
        writer.write(reliabilityParameter)
        writer.write(UInt16(labelBytes.count))
        writer.write(UInt16(protocolBytes.count))
        writer.write(contentsOf: labelBytes)
        writer.write(contentsOf: protocolBytes)
        return writer.bytes
    }
}
