/// One incoming RTP stream, as negotiated: what it carries and how its timestamps count.
public struct MediaTrack: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable { case audio, video }
    public enum Codec: String, Sendable, Codable { case opus, vp8, vp9 }

    public var kind: Kind
    public var codec: Codec
    public var ssrc: UInt32
    public var payloadType: UInt8
    public var clockRate: UInt32
    public var mid: String?

    public init(kind: Kind, codec: Codec, ssrc: UInt32, payloadType: UInt8, clockRate: UInt32, mid: String?) {
        self.kind = kind
        self.codec = codec
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.clockRate = clockRate
        self.mid = mid
    }

    public var description: String { "\(kind.rawValue) \(codec.rawValue)/\(clockRate) ssrc=\(ssrc) pt=\(payloadType)" }
}
