/// What one data-channel message carries, as the browser API sees it.
public enum DataChannelMessage: Equatable, Sendable {
    case text(String)
    case binary([UInt8])
}

/// Payload protocol identifiers of WebRTC data channels (RFC 8831 section 8).
public enum DataChannelPPID {
    public static let control: UInt32 = 50
    public static let string: UInt32 = 51
    public static let binaryPartial: UInt32 = 52
    public static let binary: UInt32 = 53
    public static let stringPartial: UInt32 = 54
    /// SCTP cannot carry zero bytes, so an empty message is one ignored byte with these PPIDs.
    public static let stringEmpty: UInt32 = 56
    public static let binaryEmpty: UInt32 = 57
}

extension DataChannelMessage {
    var wire: (ppid: UInt32, bytes: [UInt8]) {
        switch self {
        case .text(let text) where text.isEmpty: (DataChannelPPID.stringEmpty, [0])
        case .text(let text): (DataChannelPPID.string, Array(text.utf8))
        case .binary(let bytes) where bytes.isEmpty: (DataChannelPPID.binaryEmpty, [0])
        case .binary(let bytes): (DataChannelPPID.binary, bytes)
        }
    }

    init?(ppid: UInt32, bytes: [UInt8]) {
        switch ppid {
        case DataChannelPPID.string, DataChannelPPID.stringPartial: self = .text(String(decoding: bytes, as: UTF8.self))
        case DataChannelPPID.binary, DataChannelPPID.binaryPartial: self = .binary(bytes)
        case DataChannelPPID.stringEmpty: self = .text("")
        case DataChannelPPID.binaryEmpty: self = .binary([])
        default: return nil
        }
    }
}
