/// DATA_CHANNEL_ACK (RFC 8832 section 5.2): the message type 0x02, the answer to DATA_CHANNEL_OPEN.
///
/// We write the one byte the RFC defines, and read a message by its type alone: Pion (pion/datachannel)
/// sends the ACK as four bytes, 0x02 and three zeros, and refusing it left every channel we opened to a
/// Pion peer closed, so chat was lost both ways.
public struct DataChannelAck: Equatable, Sendable {
    public static let messageType: UInt8 = 0x02

    public init() {}

    public static func parse(_ bytes: [UInt8]) throws -> DataChannelAck {
        guard bytes.first == messageType else { throw ParseError("DCEP: not a DATA_CHANNEL_ACK (\(bytes.count) bytes)") }
        return DataChannelAck()
    }

    public func serialize() -> [UInt8] { [Self.messageType] }
}
