/// HEARTBEAT (RFC 4960 section 3.3.5): a probe whose Heartbeat Info parameter (type 1) the
/// peer returns untouched. We never send it (ICE consent checks cover liveness), only answer.
public struct ChunkHeartbeat: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.heartbeat
    public static let heartbeatInfoType: UInt16 = 1

    /// The sender-specific information, opaque to the receiver.
    public var info: [UInt8]

    public init(info: [UInt8]) { self.info = info }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkHeartbeat {
        ChunkHeartbeat(info: try heartbeatInfo(in: value, what: "HEARTBEAT"))
    }

    public func writeValue(into writer: inout ByteWriter) {
        SCTPTLV.writeAll([SCTPTLV(type: Self.heartbeatInfoType, value: info)], into: &writer)
    }

    static func heartbeatInfo(in value: ArraySlice<UInt8>, what: String) throws -> [UInt8] {
        let fields = try SCTPTLV.parseAll(value, what: "\(what) parameter")
        guard let info = fields.first(where: { $0.type == heartbeatInfoType }) else {
            throw ParseError("SCTP: \(what) without Heartbeat Info")
        }
        return info.value
    }
}
