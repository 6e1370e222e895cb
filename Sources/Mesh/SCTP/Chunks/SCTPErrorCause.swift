/// An error cause carried by ABORT and ERROR (RFC 4960 section 3.3.10): a code and its
/// cause-specific bytes, kept raw so unknown causes survive a round trip.
public struct SCTPErrorCause: Equatable, Sendable, CustomStringConvertible {
    public var code: UInt16
    public var info: [UInt8]

    public init(code: UInt16, info: [UInt8] = []) {
        self.code = code
        self.info = info
    }

    public static let invalidStreamIdentifier: UInt16 = 1
    public static let missingMandatoryParameter: UInt16 = 2
    public static let staleCookie: UInt16 = 3
    public static let outOfResource: UInt16 = 4
    public static let unrecognizedChunkType: UInt16 = 6
    public static let noUserData: UInt16 = 9
    public static let protocolViolation: UInt16 = 13
    public static let userInitiatedAbort: UInt16 = 12

    /// The reason a person or program gave for aborting (RFC 4960 3.3.10.12), as UTF-8.
    public static func userInitiatedAbort(_ reason: String) -> SCTPErrorCause {
        SCTPErrorCause(code: userInitiatedAbort, info: Array(reason.utf8))
    }

    /// Reports a chunk we could not interpret (RFC 4960 3.3.10.6): the whole chunk goes back.
    public static func unrecognizedChunk(_ chunk: ChunkUnknown) -> SCTPErrorCause {
        var writer = ByteWriter()
        SCTPChunk.unknown(chunk).write(into: &writer)
        return SCTPErrorCause(code: unrecognizedChunkType, info: writer.bytes)
    }

    public var description: String {
        switch code {
        case Self.userInitiatedAbort, Self.protocolViolation:
            "cause \(code): \(String(decoding: info, as: UTF8.self))"
        default: "cause \(code)"
        }
    }

    static func parseAll(_ value: ArraySlice<UInt8>, what: String) throws -> [SCTPErrorCause] {
        try SCTPTLV.parseAll(value, what: "\(what) cause").map { SCTPErrorCause(code: $0.type, info: $0.value) }
    }

    static func writeAll(_ causes: [SCTPErrorCause], into writer: inout ByteWriter) {
        SCTPTLV.writeAll(causes.map { SCTPTLV(type: $0.code, value: $0.info) }, into: &writer)
    }
}
