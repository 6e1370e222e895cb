/// DATA_CHANNEL_ACK (RFC 8832 section 5.2): one byte, 0x02, the answer to DATA_CHANNEL_OPEN.
public struct DataChannelAck: Equatable, Sendable {
    public static let messageType: UInt8 = 0x02

    public init() {}

    public static func parse(_ bytes: [UInt8]) throws -> DataChannelAck {
        guard bytes == [messageType] else { throw ParseError("DCEP: not a DATA_CHANNEL_ACK (\(bytes.count) bytes)") }
        return DataChannelAck()
    }

    public func serialize() -> [UInt8] { [Self.messageType] }
}
