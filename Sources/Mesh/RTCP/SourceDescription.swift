/// SDES: items describing sources, chiefly the CNAME (RFC 3550 section 6.5).
///
///     header (SC = chunk count, PT = 202)
///     chunk: SSRC/CSRC, then items (type, length, text), ended by one or more null
///            octets and padded with nulls to the next 32-bit boundary
///
/// Chromium drops compound packets from us that carry no CNAME, so every report we
/// send includes one.
public struct SourceDescription: RTCPMessage {
    public struct Item: Equatable, Sendable {
        public static let cname: UInt8 = 1
        public static let name: UInt8 = 2
        public static let tool: UInt8 = 6

        public var type: UInt8
        /// UTF-8 text for all standard items; at most 255 bytes.
        public var value: [UInt8]

        public init(type: UInt8, value: [UInt8]) {
            self.type = type
            self.value = value
        }

        public static func cname(_ text: String) -> Item { Item(type: cname, value: Array(text.utf8)) }
    }

    public struct Chunk: Equatable, Sendable {
        public var source: UInt32
        public var items: [Item]

        public init(source: UInt32, items: [Item]) {
            self.source = source
            self.items = items
        }
    }

    /// At most 31 fit in one packet.
    public var chunks: [Chunk]

    public init(chunks: [Chunk]) { self.chunks = chunks }

    public init(source: UInt32, cname: String) {
        chunks = [Chunk(source: source, items: [.cname(cname)])]
    }

    /// The CNAME of `source`, if this packet carries one.
    public func cname(of source: UInt32) -> String? {
        guard let chunk = chunks.first(where: { $0.source == source }),
            let item = chunk.items.first(where: { $0.type == Item.cname })
        else { return nil }
        return String(decoding: item.value, as: UTF8.self)
    }

    public var packetType: UInt8 { RTCPPacketType.sourceDescription }
    public var countOrFormat: UInt8 {
        UInt8(min(chunks.count, 31))
    }

    public static func parseBody(_ reader: inout ByteReader, countOrFormat: UInt8) throws -> SourceDescription {
        var chunks: [Chunk] = []
        for _ in 0..<countOrFormat {
            let start = reader.position
            var chunk = Chunk(source: try reader.readUInt32(), items: [])
            while true {
                let type = try reader.readUInt8()
                if type == 0 { break }
                let length = try reader.readUInt8()
                chunk.items.append(Item(type: type, value: Array(try reader.readBytes(Int(length)))))
            }
            // The null terminator's padding runs to the chunk's 32-bit boundary.
            try reader.skip((4 - (reader.position - start) % 4) % 4)
            chunks.append(chunk)
        }
        return SourceDescription(chunks: chunks)
    }

    public func writeBody(into writer: inout ByteWriter) {
        // The count field holds 31 chunks and an item length 255 bytes: more is left out, never wrapped.
        for chunk in chunks.prefix(31) {
            let start = writer.count
            writer.write(chunk.source)
            for item in chunk.items where item.type != 0 {
                let value = item.value.prefix(255)
                writer.write(item.type)
                writer.write(UInt8(value.count))
                writer.write(contentsOf: value)
            }
            let used = writer.count - start + 1
            writer.writeZeros(1 + (4 - used % 4) % 4)
        }
    }
}
