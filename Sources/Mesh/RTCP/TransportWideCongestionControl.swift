/// Transport-wide congestion control feedback: when each packet, numbered by the
/// transport-wide sequence number header extension, arrived
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1), an RTPFB (PT 205)
/// with FMT 15.
///
///     sender SSRC | media SSRC
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |      base sequence number     |      packet status count      |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                 reference time                | fb pkt. count |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |          packet chunk         |         packet chunk          |
///     |  ...                          |  recv delta   |  recv delta   | ...
///
/// Packet chunks carry one status symbol per packet: 00 not received, 01 received with a
/// one-byte delta, 10 received with a two-byte signed delta. A run-length chunk
/// (0 | symbol:2 | run:13) repeats one symbol; a status vector chunk (1 | S | symbols)
/// lists 14 one-bit (S = 0) or 7 two-bit (S = 1) symbols. Deltas count 250 µs from the
/// previous received packet, the first from reference time × 64 ms.
///
/// This type keeps the statuses, not the chunks: it writes its own chunking, so a
/// packet from another encoder parses to equal statuses but may re-encode differently.
public struct TransportWideCongestionControl: RTCPMessage {
    public static let format: UInt8 = 15
    public static let deltaTick = Duration.microseconds(250)
    public static let referenceTimeTick = Duration.milliseconds(64)

    public enum PacketStatus: Equatable, Sendable {
        case notReceived
        /// Arrival minus the previous arrival (or the reference time), in 250 µs ticks.
        case received(delta: Int16)

        var symbol: UInt8 {
            switch self {
            case .notReceived: 0
            case .received(let delta): (0...255).contains(delta) ? 1 : 2
            }
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var baseSequenceNumber: UInt16
    /// 24 bits, in 64 ms units, in the feedback sender's own time base (it wraps).
    public var referenceTime: UInt32
    /// Counts feedback packets so the media sender can tell lost feedback from reordered.
    public var feedbackPacketCount: UInt8
    /// One per sequence number from `baseSequenceNumber`; at most 65535.
    public var statuses: [PacketStatus]

    public init(
        senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, referenceTime: UInt32,
        feedbackPacketCount: UInt8, statuses: [PacketStatus]
    ) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.referenceTime = referenceTime & 0xff_ffff
        self.feedbackPacketCount = feedbackPacketCount
        self.statuses = statuses
    }

    /// Each received packet's sequence number and arrival, relative to the time base the
    /// reference time counts in (so the caller can compare only differences).
    public var arrivals: [(sequenceNumber: UInt16, arrival: Duration)] {
        var ticks = Int64(referenceTime) * 256
        var result: [(UInt16, Duration)] = []
        for (index, status) in statuses.enumerated() {
            guard case .received(let delta) = status else { continue }
            ticks += Int64(delta)
            result.append((baseSequenceNumber &+ UInt16(truncatingIfNeeded: index), .microseconds(ticks * 250)))
        }
        return result
    }

    public var packetType: UInt8 { RTCPPacketType.transportFeedback }
    public var countOrFormat: UInt8 { Self.format }

    public static func parseBody(
        _ reader: inout ByteReader, countOrFormat: UInt8
    ) throws -> TransportWideCongestionControl {
        let sources = try FeedbackSources.parse(&reader)
        let base = try reader.readUInt16()
        let count = Int(try reader.readUInt16())
        let referenceTime = try reader.readUInt24()
        let feedbackCount = try reader.readUInt8()

        var symbols: [UInt8] = []
        symbols.reserveCapacity(count)
        while symbols.count < count {
            let chunk = try reader.readUInt16()
            let wanted = count - symbols.count
            if chunk & 0x8000 == 0 {
                let symbol = UInt8(chunk >> 13 & 0x3)
                let run = min(Int(chunk & 0x1fff), wanted)
                if symbol == 3 && run > 0 { throw ParseError("TWCC: reserved status symbol") }
                symbols.append(contentsOf: repeatElement(symbol, count: run))
            } else if chunk & 0x4000 == 0 {
                for bit in 0..<min(14, wanted) {
                    symbols.append(UInt8(chunk >> (13 - bit) & 0x1))
                }
            } else {
                for slot in 0..<min(7, wanted) {
                    let symbol = UInt8(chunk >> (12 - 2 * slot) & 0x3)
                    if symbol == 3 { throw ParseError("TWCC: reserved status symbol") }
                    symbols.append(symbol)
                }
            }
        }

        var statuses: [PacketStatus] = []
        statuses.reserveCapacity(count)
        for symbol in symbols {
            switch symbol {
            case 1: statuses.append(.received(delta: Int16(try reader.readUInt8())))
            case 2: statuses.append(.received(delta: Int16(bitPattern: try reader.readUInt16())))
            default: statuses.append(.notReceived)
            }
        }
        // Anything left is zero padding to a 32-bit boundary from encoders that do not
        // use the RTCP padding bit.
        _ = reader.readRest()
        return TransportWideCongestionControl(
            senderSSRC: sources.sender, mediaSSRC: sources.media, baseSequenceNumber: base,
            referenceTime: referenceTime, feedbackPacketCount: feedbackCount, statuses: statuses)
    }

    public func writeBody(into writer: inout ByteWriter) {
        // The count field holds 65535 statuses; the builder makes far fewer, a longer list is cut.
        let statuses = self.statuses.prefix(Int(UInt16.max))
        writer.write(senderSSRC)
        writer.write(mediaSSRC)
        writer.write(baseSequenceNumber)
        writer.write(UInt16(statuses.count))
        writer.writeUInt24(referenceTime & 0xff_ffff)
        writer.write(feedbackPacketCount)
        for chunk in Self.chunks(for: statuses.map(\.symbol)) { writer.write(chunk) }
        for status in statuses {
            guard case .received(let delta) = status else { continue }
            if (0...255).contains(delta) {
                writer.write(UInt8(delta))
            } else {
                writer.write(UInt16(bitPattern: delta))
            }
        }
    }

    /// Greedy chunking: a run-length chunk for runs of 14 or more (where it beats a
    /// vector), otherwise the densest vector that can hold the next symbols. Vector slots
    /// past the last status stay 0, which the status count tells readers to ignore.
    static func chunks(for symbols: [UInt8]) -> [UInt16] {
        var chunks: [UInt16] = []
        var index = 0
        while index < symbols.count {
            let symbol = symbols[index]
            var run = 1
            while index + run < symbols.count, symbols[index + run] == symbol, run < 0x1fff { run += 1 }
            if run >= 14 {
                chunks.append(UInt16(symbol) << 13 | UInt16(run))
                index += run
                continue
            }
            let oneBitSpan = symbols[index..<min(index + 14, symbols.count)]
            if oneBitSpan.allSatisfy({ $0 < 2 }) {
                var chunk: UInt16 = 0x8000
                for (slot, symbol) in oneBitSpan.enumerated() { chunk |= UInt16(symbol) << (13 - slot) }
                chunks.append(chunk)
                index += oneBitSpan.count
            } else {
                let twoBitSpan = symbols[index..<min(index + 7, symbols.count)]
                var chunk: UInt16 = 0xc000
                for (slot, symbol) in twoBitSpan.enumerated() { chunk |= UInt16(symbol) << (12 - 2 * slot) }
                chunks.append(chunk)
                index += twoBitSpan.count
            }
        }
        return chunks
    }
}
