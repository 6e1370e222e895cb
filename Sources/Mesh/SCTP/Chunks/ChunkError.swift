/// ERROR (RFC 4960 section 3.3.10): something went wrong, but the association carries on.
public struct ChunkError: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.error

    public var causes: [SCTPErrorCause]

    public init(causes: [SCTPErrorCause]) { self.causes = causes }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkError {
        ChunkError(causes: try SCTPErrorCause.parseAll(value, what: "ERROR"))
    }

    public func writeValue(into writer: inout ByteWriter) { SCTPErrorCause.writeAll(causes, into: &writer) }
}
