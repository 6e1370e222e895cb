/// DATA (RFC 4960 section 3.3.1): one fragment of a user message.
///
///     flags: I (RFC 7053: SACK at once), U (unordered), B (first fragment), E (last fragment)
///     TSN (32) | stream identifier (16) | stream sequence number (16) | payload protocol identifier (32) | user data
public struct ChunkPayloadData: SCTPChunkBody {
    public static let chunkType = SCTPChunkType.payloadData
    public static let headerSize = 16

    public var tsn: UInt32
    public var streamIdentifier: UInt16
    public var streamSequenceNumber: UInt16
    public var payloadProtocolIdentifier: UInt32
    public var userData: [UInt8]
    public var unordered: Bool
    public var beginning: Bool
    public var ending: Bool
    public var immediateAck: Bool

    public init(
        tsn: UInt32, streamIdentifier: UInt16, streamSequenceNumber: UInt16, payloadProtocolIdentifier: UInt32,
        userData: [UInt8], unordered: Bool = false, beginning: Bool = true, ending: Bool = true,
        immediateAck: Bool = false
    ) {
        self.tsn = tsn
        self.streamIdentifier = streamIdentifier
        self.streamSequenceNumber = streamSequenceNumber
        self.payloadProtocolIdentifier = payloadProtocolIdentifier
        self.userData = userData
        self.unordered = unordered
        self.beginning = beginning
        self.ending = ending
        self.immediateAck = immediateAck
    }

    public var flags: UInt8 {
        (immediateAck ? 0x08 : 0) | (unordered ? 0x04 : 0) | (beginning ? 0x02 : 0) | (ending ? 0x01 : 0)
    }

    public static func parse(flags: UInt8, value: ArraySlice<UInt8>) throws -> ChunkPayloadData {
        var reader = ByteReader(value)
        let tsn = try reader.readUInt32()
        let stream = try reader.readUInt16()
        let ssn = try reader.readUInt16()
        let ppid = try reader.readUInt32()
        // RFC 4960 6.2 treats a DATA chunk without user data as a protocol violation.
        guard !reader.isAtEnd else { throw ParseError("SCTP: DATA chunk TSN \(tsn) has no user data") }
        return ChunkPayloadData(
            tsn: tsn, streamIdentifier: stream, streamSequenceNumber: ssn, payloadProtocolIdentifier: ppid,
            userData: Array(reader.readRest()), unordered: flags & 0x04 != 0, beginning: flags & 0x02 != 0,
            ending: flags & 0x01 != 0, immediateAck: flags & 0x08 != 0)
    }

    public func writeValue(into writer: inout ByteWriter) {
        writer.write(tsn)
        writer.write(streamIdentifier)
        writer.write(streamSequenceNumber)
        writer.write(payloadProtocolIdentifier)
        writer.write(contentsOf: userData)
    }
}
