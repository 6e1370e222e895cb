#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Mesh

/// The room server of PROTOCOL.md as a sans-IO state machine: text frames in from a channel, deliveries out.
///
/// It mirrors the Django Channels consumer: offers and answers go to the one channel they name (with the
/// name rewritten to the sender's), everything else is broadcast to the sender's room, sender included.
/// Unlike the original it treats every frame as hostile: malformed, oversized or flooding clients are
/// closed instead of crashing a consumer, and nothing crosses from one room to another.
public struct RoomRelay: Sendable {
    /// The edge's handle on one WebSocket connection; never shown to clients.
    public struct ChannelID: Hashable, Sendable, CustomStringConvertible {
        public let value: UInt64
        public init(_ value: UInt64) { self.value = value }
        public var description: String { "#\(value)" }
    }

    /// WebSocket close codes the relay asks the edge to use (RFC 6455 §7.4.1).
    public enum CloseCode: UInt16, Sendable {
        case unsupportedData = 1003
        case policyViolation = 1008
        case messageTooLarge = 1009
        case tryAgainLater = 1013
    }

    public struct Limits: Sendable, Equatable {
        /// The whole (reassembled) message; an SDP is a few KiB.
        public var maximumFrameBytes: Int
        /// Token bucket refill: sustained frames per second per channel.
        public var framesPerSecond: Double
        /// Token bucket size: a page load sends a burst of offers/answers, one per peer and screen.
        public var burstFrames: Double
        /// Connections across all rooms; a bound on memory, not a feature.
        public var maximumChannels: Int
        /// Array/object nesting allowed in a frame; real frames nest three deep.
        public var maximumNesting: Int

        public init(maximumFrameBytes: Int = 256 * 1024, framesPerSecond: Double = 50, burstFrames: Double = 200,
                    maximumChannels: Int = 1024, maximumNesting: Int = 32) {
            self.maximumFrameBytes = maximumFrameBytes
            self.framesPerSecond = framesPerSecond
            self.burstFrames = burstFrames
            self.maximumChannels = maximumChannels
            self.maximumNesting = maximumNesting
        }
    }

    public enum Output: Equatable, Sendable {
        /// Send this text frame to each of these channels.
        case deliver(String, to: [ChannelID])
        /// Send a close frame with this code and reason, then close. The relay has already forgotten the channel.
        case close(ChannelID, CloseCode, reason: String)
        /// Nothing is sent; the edge should log why.
        case dropped(String)
    }

    public struct Joined: Sendable, Equatable {
        public var id: ChannelID
        /// The opaque name peers put in `receiver_channel_name`.
        public var channelName: String
        public var room: String
    }

    private struct Member: Sendable {
        var name: String
        var room: String
        var bucket: TokenBucket
    }

    /// All paths share one room, as in the original server; otherwise each URL path is a room.
    public let singleRoom: Bool
    public let limits: Limits
    private let namePrefix: String
    private var nextID: UInt64 = 1
    private var members: [ChannelID: Member] = [:]
    private var channelsByName: [String: ChannelID] = [:]
    /// Join order kept so broadcasts are deterministic.
    private var rooms: [String: [ChannelID]] = [:]

    /// - Parameter namePrefix: makes channel names unguessable across server runs; pass a fixed one in tests.
    public init(singleRoom: Bool = false, limits: Limits = Limits(), namePrefix: String = RoomRelay.randomPrefix()) {
        self.singleRoom = singleRoom
        self.limits = limits
        self.namePrefix = namePrefix
    }

    public static func randomPrefix() -> String {
        var generator = SystemRandomNumberGenerator()
        let bits = generator.next() as UInt64
        let hex = String(bits, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public var channelCount: Int { members.count }

    public func channelName(of id: ChannelID) -> String? { members[id]?.name }

    /// The channels of a room, in join order.
    public func members(ofRoom room: String) -> [ChannelID] { rooms[room] ?? [] }

    /// The room a WebSocket path joins: the path without query or trailing slashes, or the one shared room.
    public func roomKey(forPath path: String) -> String {
        if singleRoom { return "*" }
        let trimmed = path.prefix { $0 != "?" && $0 != "#" }
        // Trailing slashes go, all but a lone leading one, found in one pass: dropping them one by one and
        // counting what was left each time kept the event loop busy for seconds on a path of 32,000 slashes.
        let kept = trimmed.lastIndex { $0 != "/" }.map { trimmed[...$0] } ?? trimmed.prefix(1)
        return kept.isEmpty ? "/" : String(kept)
    }

    /// Admits a new connection, or returns nil when the server is full (close it with `tryAgainLater`).
    public mutating func join(path: String, now: Timestamp) -> Joined? {
        guard members.count < limits.maximumChannels else { return nil }
        let id = ChannelID(nextID)
        nextID += 1
        let name = "specific.\(namePrefix)!\(String(id.value, radix: 16))"
        let room = roomKey(forPath: path)
        members[id] = Member(name: name, room: room,
                             bucket: TokenBucket(capacity: limits.burstFrames, rate: limits.framesPerSecond, now: now))
        channelsByName[name] = id
        rooms[room, default: []].append(id)
        return Joined(id: id, channelName: name, room: room)
    }

    /// The connection is gone; unknown or already closed channels are ignored.
    public mutating func leave(_ id: ChannelID) {
        guard let member = members.removeValue(forKey: id) else { return }
        channelsByName[member.name] = nil
        rooms[member.room]?.removeAll { $0 == id }
        if rooms[member.room]?.isEmpty == true { rooms[member.room] = nil }
    }

    /// A binary frame: the consumer only speaks text.
    public mutating func receiveBinary(from id: ChannelID) -> [Output] {
        guard members[id] != nil else { return [] }
        return closing(id, .unsupportedData, "binary frames are not accepted")
    }

    /// One complete (reassembled) text message, as raw bytes so invalid UTF-8 is refused rather than repaired.
    public mutating func receive(text bytes: some Collection<UInt8>, from id: ChannelID, now: Timestamp) -> [Output] {
        guard var member = members[id] else { return [] }
        guard member.bucket.take(now: now) else { return closing(id, .policyViolation, "flood") }
        members[id] = member
        guard bytes.count <= limits.maximumFrameBytes else {
            return closing(id, .messageTooLarge, "frame over \(limits.maximumFrameBytes) bytes")
        }
        let frame: [String: JSONValue]
        switch parse(bytes) {
        case .success(let value): frame = value
        case .failure(let problem): return closing(id, .policyViolation, problem.reason)
        }
        guard case .string(let peer)? = frame["peer"] else { return closing(id, .policyViolation, "no string 'peer'") }
        guard case .string(let action)? = frame["action"] else {
            return closing(id, .policyViolation, "no string 'action'")
        }
        guard case .object(var message)? = frame["message"] else {
            return closing(id, .policyViolation, "no object 'message'")
        }
        let target = message["receiver_channel_name"]
        message["receiver_channel_name"] = .string(member.name)
        var rewritten = frame
        rewritten["message"] = .object(message)
        guard let text = Self.encode(.object(rewritten)) else {
            return [.dropped("\(action.logSafe) from '\(peer.logSafe)' \(id) could not be re-encoded")]
        }

        guard action == "new-offer" || action == "new-answer" else {
            return [.deliver(text, to: rooms[member.room] ?? [])]
        }
        guard case .string(let targetName)? = target else {
            return [.dropped("\(action) from '\(peer.logSafe)' \(id) names no receiver_channel_name")]
        }
        guard let receiver = channelsByName[targetName], let receiving = members[receiver],
              receiving.room == member.room else {
            return [.dropped("\(action) from '\(peer.logSafe)' \(id) for '\(targetName.logSafe)', not in its room")]
        }
        return [.deliver(text, to: [receiver])]
    }

    private mutating func closing(_ id: ChannelID, _ code: CloseCode, _ reason: String) -> [Output] {
        leave(id)
        return [.close(id, code, reason: reason)]
    }

    private struct Malformed: Error { var reason: String }

    private func parse(_ bytes: some Collection<UInt8>) -> Result<[String: JSONValue], Malformed> {
        // Checked before decoding so a deeply nested frame cannot exhaust the decoder's stack.
        guard Self.nestingDepth(bytes) <= limits.maximumNesting else {
            return .failure(Malformed(reason: "frame nests deeper than \(limits.maximumNesting)"))
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            return .failure(Malformed(reason: "frame is not JSON"))
        }
        guard case .object(let members) = value else { return .failure(Malformed(reason: "frame is not a JSON object")) }
        return .success(members)
    }

    /// The deepest bracket nesting outside strings; cheap and conservative (malformed input just counts high).
    static func nestingDepth(_ bytes: some Collection<UInt8>) -> Int {
        var depth = 0, deepest = 0
        var inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    static func encode(_ value: JSONValue) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Frames per channel: refills continuously at `rate`, holds at most `capacity`.
struct TokenBucket: Sendable {
    let capacity: Double
    let rate: Double
    private var tokens: Double
    private var last: Timestamp

    init(capacity: Double, rate: Double, now: Timestamp) {
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.last = now
    }

    mutating func take(now: Timestamp) -> Bool {
        // A clock that steps back refills nothing rather than draining.
        if now > last {
            tokens = min(capacity, tokens + (now - last).secondsValue * rate)
            last = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
