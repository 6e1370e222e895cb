/// INIT ACK (RFC 4960 section 3.3.3): the server's answer, which must carry a State Cookie.
public struct ChunkInitAck: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.initiationAck
    public var fields: SCTPInitFields

    public init(_ fields: SCTPInitFields) { self.fields = fields }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkInitAck {
        let fields = try SCTPInitFields.parse(value, what: "INIT ACK")
        guard fields.stateCookie != nil else { throw ParseError("SCTP: INIT ACK without State Cookie") }
        return ChunkInitAck(fields)
    }

    public func writeValue(into writer: inout ByteWriter) { fields.write(into: &writer) }
}
