/// HEARTBEAT ACK (RFC 4960 section 3.3.6): the HEARTBEAT's info, sent back unchanged.
public struct ChunkHeartbeatAck: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.heartbeatAck

    public var info: [UInt8]

    public init(info: [UInt8]) { self.info = info }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkHeartbeatAck {
        ChunkHeartbeatAck(info: try ChunkHeartbeat.heartbeatInfo(in: value, what: "HEARTBEAT ACK"))
    }

    public func writeValue(into writer: inout ByteWriter) {
        SCTPTLV.writeAll([SCTPTLV(type: ChunkHeartbeat.heartbeatInfoType, value: info)], into: &writer)
    }
}
