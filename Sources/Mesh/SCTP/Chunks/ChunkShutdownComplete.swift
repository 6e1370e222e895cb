/// SHUTDOWN COMPLETE (RFC 4960 section 3.3.13): the last packet of a graceful close.
///
///     flags: T (the verification tag is the sender's own, reflected)
public struct ChunkShutdownComplete: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.shutdownComplete

    public var reflectedTag: Bool

    public init(reflectedTag: Bool = false) { self.reflectedTag = reflectedTag }

    public var flags: UInt8 { reflectedTag ? 1 : 0 }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkShutdownComplete {
        guard value.isEmpty else { throw ParseError("SCTP: SHUTDOWN COMPLETE carries \(value.count) unexpected bytes") }
        return ChunkShutdownComplete(reflectedTag: flags & 1 != 0)
    }

    public func writeValue(into writer: inout ByteWriter) {}
}
