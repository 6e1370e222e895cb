#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The screen-sharing flags that tell a participant's camera connection from its screen connections.
public struct ScreenSharingFlags: Hashable, Sendable {
    /// The sender of this message shares its screen on this connection.
    public var local: Bool
    /// The receiver of this message shares its screen on this connection.
    public var remote: Bool

    public init(local: Bool, remote: Bool) {
        self.local = local
        self.remote = remote
    }

    /// What the other side says back: its local is our remote.
    public var swapped: ScreenSharingFlags { ScreenSharingFlags(local: remote, remote: local) }
}

/// One frame of the room protocol (PROTOCOL.md), typed.
public enum SignallingMessage: Equatable, Sendable {
    /// Someone joined, or started sharing a screen (`screenSharing` true).
    case newPeer(peer: String, senderChannel: String?, screenSharing: Bool)
    case offer(peer: String, senderChannel: String, sdp: String, flags: ScreenSharingFlags)
    case answer(peer: String, senderChannel: String, sdp: String, flags: ScreenSharingFlags)
    /// A well-formed frame with an action this bot does not act on.
    case other(peer: String, action: String)

    public var peer: String {
        switch self {
        case .newPeer(let peer, _, _), .offer(let peer, _, _, _), .answer(let peer, _, _, _), .other(let peer, _):
            return peer
        }
    }
}

/// Decoding and encoding of room frames. Every decoding failure is a `ParseError` that says what was wrong.
public enum SignallingCodec {
    /// Frames larger than this are refused before parsing: an SDP is a few KiB.
    public static let maximumFrameBytes = 256 * 1024

    public static func decode(_ text: String) throws -> SignallingMessage {
        let utf8 = Array(text.utf8)
        guard utf8.count <= maximumFrameBytes else {
            throw ParseError("frame of \(utf8.count) bytes exceeds \(maximumFrameBytes)")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(utf8))
        } catch {
            throw ParseError("frame is not JSON")
        }
        guard case .object = value else { throw ParseError("frame is not a JSON object") }
        guard let peer = value["peer"]?.stringValue else { throw ParseError("frame has no string 'peer'") }
        guard let action = value["action"]?.stringValue else { throw ParseError("frame has no string 'action'") }
        guard let message = value["message"], case .object = message else {
            throw ParseError("frame has no object 'message'")
        }
        let channel = message["receiver_channel_name"]?.stringValue
        switch action {
        case "new-peer":
            return .newPeer(peer: peer, senderChannel: channel,
                            screenSharing: message["local_screen_sharing"]?.boolValue ?? false)
        case "new-offer", "new-answer":
            guard let channel, !channel.isEmpty else {
                throw ParseError("\(action) from '\(peer)' has no receiver_channel_name")
            }
            let expectedType = action == "new-offer" ? "offer" : "answer"
            guard let sdpObject = message["sdp"], let sdp = sdpObject["sdp"]?.stringValue else {
                throw ParseError("\(action) from '\(peer)' has no sdp.sdp string")
            }
            if let type = sdpObject["type"]?.stringValue, type != expectedType {
                throw ParseError("\(action) from '\(peer)' carries an SDP of type '\(type)'")
            }
            let flags = ScreenSharingFlags(local: message["local_screen_sharing"]?.boolValue ?? false,
                                           remote: message["remote_screen_sharing"]?.boolValue ?? false)
            return action == "new-offer"
                ? .offer(peer: peer, senderChannel: channel, sdp: sdp, flags: flags)
                : .answer(peer: peer, senderChannel: channel, sdp: sdp, flags: flags)
        default:
            return .other(peer: peer, action: action)
        }
    }

    public static func encodeNewPeer(me: String, screenSharing: Bool) -> String {
        encode(peer: me, action: "new-peer", message: ["local_screen_sharing": .bool(screenSharing)])
    }

    /// An offer or answer for `receiverChannel`; the server rewrites the channel to ours before delivery.
    public static func encodeDescription(me: String, type: SDPType, sdp: String, receiverChannel: String,
                                         flags: ScreenSharingFlags) -> String {
        encode(peer: me, action: type == .offer ? "new-offer" : "new-answer", message: [
            "sdp": .object(["type": .string(type.rawValue), "sdp": .string(sdp)]),
            "receiver_channel_name": .string(receiverChannel),
            "local_screen_sharing": .bool(flags.local),
            "remote_screen_sharing": .bool(flags.remote),
        ])
    }

    public enum SDPType: String, Sendable { case offer, answer }

    static func encode(peer: String, action: String, message: [String: JSONValue]) -> String {
        let frame = JSONValue.object(["peer": .string(peer), "action": .string(action), "message": .object(message)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(frame) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
