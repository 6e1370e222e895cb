/// The interface every chunk type implements: its type code, flags and value bytes.
/// The shared TLV framing (type, flags, length, padding) lives in `SCTPChunk`.
public protocol SCTPChunkBody: Equatable, Sendable {
    static var chunkType: UInt8 { get }
    var flags: UInt8 { get }
    static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> Self
    func writeValue(into writer: inout ByteWriter)
}

extension SCTPChunkBody {
    public var flags: UInt8 { 0 }
}

/// Chunk type codes (RFC 4960 section 3.2, RFC 3758, RFC 6525).
public enum SCTPChunkType {
    public static let payloadData: UInt8 = 0
    public static let initiation: UInt8 = 1
    public static let initiationAck: UInt8 = 2
    public static let selectiveAck: UInt8 = 3
    public static let heartbeat: UInt8 = 4
    public static let heartbeatAck: UInt8 = 5
    public static let abort: UInt8 = 6
    public static let shutdown: UInt8 = 7
    public static let shutdownAck: UInt8 = 8
    public static let error: UInt8 = 9
    public static let cookieEcho: UInt8 = 10
    public static let cookieAck: UInt8 = 11
    public static let shutdownComplete: UInt8 = 14
    public static let reconfig: UInt8 = 130
    public static let forwardTSN: UInt8 = 192
}

/// One chunk, by what it means.
public enum SCTPChunk: Equatable, Sendable {
    case payloadData(ChunkPayloadData)
    case initiation(ChunkInit)
    case initiationAck(ChunkInitAck)
    case selectiveAck(ChunkSelectiveAck)
    case heartbeat(ChunkHeartbeat)
    case heartbeatAck(ChunkHeartbeatAck)
    case abort(ChunkAbort)
    case shutdown(ChunkShutdown)
    case shutdownAck(ChunkShutdownAck)
    case error(ChunkError)
    case cookieEcho(ChunkCookieEcho)
    case cookieAck(ChunkCookieAck)
    case shutdownComplete(ChunkShutdownComplete)
    case reconfig(ChunkReconfig)
    case forwardTSN(ChunkForwardTSN)
    case unknown(ChunkUnknown)

    public var body: any SCTPChunkBody {
        switch self {
        case .payloadData(let chunk): chunk
        case .initiation(let chunk): chunk
        case .initiationAck(let chunk): chunk
        case .selectiveAck(let chunk): chunk
        case .heartbeat(let chunk): chunk
        case .heartbeatAck(let chunk): chunk
        case .abort(let chunk): chunk
        case .shutdown(let chunk): chunk
        case .shutdownAck(let chunk): chunk
        case .error(let chunk): chunk
        case .cookieEcho(let chunk): chunk
        case .cookieAck(let chunk): chunk
        case .shutdownComplete(let chunk): chunk
        case .reconfig(let chunk): chunk
        case .forwardTSN(let chunk): chunk
        case .unknown(let chunk): chunk
        }
    }

    public var type: UInt8 {
        if case .unknown(let chunk) = self { return chunk.type }
        return Swift.type(of: body).chunkType
    }

    public static let headerSize = 4

    /// Bytes this chunk takes in a packet, padding included.
    public var wireSize: Int {
        var writer = ByteWriter()
        write(into: &writer)
        return writer.count
    }

    public func write(into writer: inout ByteWriter) {
        let start = writer.count
        writer.write(type)
        writer.write(body.flags)
        writer.write(UInt16(0))
        body.writeValue(into: &writer)
        let length = writer.count - start
        // The association never sends a chunk larger than a packet; a length past 16 bits is
        // clamped (and the chunk refused by the peer) rather than trapping.
        writer.patch(UInt16(clamping: length), at: start + 2)
        writer.writeZeros((4 - length % 4) % 4)
    }

    /// Reads one chunk and its padding. The padding is required even after the last chunk
    /// (RFC 4960 section 3.2: the sender MUST pad), so a packet cut inside it is truncated.
    public static func parse(_ reader: inout ByteReader) throws -> SCTPChunk {
        let start = reader.position
        let type = try reader.readUInt8()
        let flags = try reader.readUInt8()
        let length = Int(try reader.readUInt16())
        guard length >= headerSize else {
            throw ParseError("SCTP: chunk type \(type) at \(start) has length \(length) < 4")
        }
        guard reader.remaining >= length - headerSize else {
            throw ParseError("SCTP: chunk type \(type) at \(start) claims \(length) bytes, \(reader.remaining + 4) left")
        }
        let value = try reader.readBytes(length - headerSize)
        let padding = (4 - length % 4) % 4
        guard reader.remaining >= padding else {
            throw ParseError("SCTP: chunk type \(type) at \(start) lacks its \(padding) bytes of padding")
        }
        try reader.skip(padding)
        return try parse(type: type, flags: flags, value: value)
    }

    static func parse(type: UInt8, flags: UInt8, value: ArraySlice<UInt8>) throws -> SCTPChunk {
        switch type {
        case ChunkPayloadData.chunkType: .payloadData(try .parse(flags: flags, value: value))
        case ChunkInit.chunkType: .initiation(try .parse(flags: flags, value: value))
        case ChunkInitAck.chunkType: .initiationAck(try .parse(flags: flags, value: value))
        case ChunkSelectiveAck.chunkType: .selectiveAck(try .parse(flags: flags, value: value))
        case ChunkHeartbeat.chunkType: .heartbeat(try .parse(flags: flags, value: value))
        case ChunkHeartbeatAck.chunkType: .heartbeatAck(try .parse(flags: flags, value: value))
        case ChunkAbort.chunkType: .abort(try .parse(flags: flags, value: value))
        case ChunkShutdown.chunkType: .shutdown(try .parse(flags: flags, value: value))
        case ChunkShutdownAck.chunkType: .shutdownAck(try .parse(flags: flags, value: value))
        case ChunkError.chunkType: .error(try .parse(flags: flags, value: value))
        case ChunkCookieEcho.chunkType: .cookieEcho(try .parse(flags: flags, value: value))
        case ChunkCookieAck.chunkType: .cookieAck(try .parse(flags: flags, value: value))
        case ChunkShutdownComplete.chunkType: .shutdownComplete(try .parse(flags: flags, value: value))
        case ChunkReconfig.chunkType: .reconfig(try .parse(flags: flags, value: value))
        case ChunkForwardTSN.chunkType: .forwardTSN(try .parse(flags: flags, value: value))
        default: .unknown(ChunkUnknown(type: type, flags: flags, value: Array(value)))
        }
    }
}

/// A type-length-value field, as used by chunk parameters and error causes (RFC 4960 3.2.1):
/// 16-bit type, 16-bit length covering type, length and value, padded to 4 bytes.
struct SCTPTLV: Equatable, Sendable {
    var type: UInt16
    var value: [UInt8]

    static func parseAll(_ bytes: ArraySlice<UInt8>, what: String) throws -> [SCTPTLV] {
        var reader = ByteReader(bytes)
        var fields: [SCTPTLV] = []
        while !reader.isAtEnd {
            let start = reader.position
            let type = try reader.readUInt16()
            let length = Int(try reader.readUInt16())
            guard length >= 4, reader.remaining >= length - 4 else {
                throw ParseError("SCTP: \(what) \(type) at \(start) has bad length \(length)")
            }
            let value = Array(try reader.readBytes(length - 4))
            // The last field's padding may be left out: it would be counted by the chunk length,
            // which RFC 4960 says excludes trailing padding of the chunk.
            let padding = min((4 - length % 4) % 4, reader.remaining)
            try reader.skip(padding)
            fields.append(SCTPTLV(type: type, value: value))
        }
        return fields
    }

    /// Writes the fields, leaving out the last one's padding: the chunk's own padding takes
    /// its place, and RFC 4960 says the chunk length excludes it.
    static func writeAll(_ fields: [SCTPTLV], into writer: inout ByteWriter) {
        for (index, field) in fields.enumerated() {
            field.write(into: &writer, padded: index < fields.count - 1)
        }
    }

    func write(into writer: inout ByteWriter, padded: Bool = true) {
        writer.write(type)
        writer.write(UInt16(clamping: 4 + value.count))
        writer.write(contentsOf: value)
        if padded { writer.writeZeros((4 - value.count % 4) % 4) }
    }
}
