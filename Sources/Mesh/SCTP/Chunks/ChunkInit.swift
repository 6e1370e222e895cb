/// INIT (RFC 4960 section 3.3.2): the client's opening, sent alone with verification tag 0.
public struct ChunkInit: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.initiation
    public var fields: SCTPInitFields

    public init(_ fields: SCTPInitFields) { self.fields = fields }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkInit {
        ChunkInit(try SCTPInitFields.parse(value, what: "INIT"))
    }

    public func writeValue(into writer: inout ByteWriter) { fields.write(into: &writer) }
}
