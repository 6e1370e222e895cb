/// ABORT (RFC 4960 section 3.3.7): the association ends now, undelivered data is lost.
///
///     flags: T (the verification tag is the sender's own, reflected: no association was found)
public struct ChunkAbort: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.abort

    public var reflectedTag: Bool
    public var causes: [SCTPErrorCause]

    public init(reflectedTag: Bool = false, causes: [SCTPErrorCause] = []) {
        self.reflectedTag = reflectedTag
        self.causes = causes
    }

    public var flags: UInt8 { reflectedTag ? 1 : 0 }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkAbort {
        ChunkAbort(reflectedTag: flags & 1 != 0, causes: try SCTPErrorCause.parseAll(value, what: "ABORT"))
    }

    public func writeValue(into writer: inout ByteWriter) { SCTPErrorCause.writeAll(causes, into: &writer) }
}
