#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Mesh
import Testing
@testable import RoomServer

/// Builds a frame as a browser would send it.
func frame(peer: String, action: String, message: [String: JSONValue]) -> String {
    let value = JSONValue.object(["peer": .string(peer), "action": .string(action), "message": .object(message)])
    let data = (try? JSONEncoder().encode(value)) ?? Data()
    return String(decoding: data, as: UTF8.self)
}

func parsed(_ text: String) -> JSONValue? {
    try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
}

@Suite struct RoomRelayTests {
    let t0 = Timestamp.zero

    private func relay(singleRoom: Bool = false, limits: RoomRelay.Limits = RoomRelay.Limits()) -> RoomRelay {
        RoomRelay(singleRoom: singleRoom, limits: limits, namePrefix: "test")
    }

    private func join(_ relay: inout RoomRelay, _ path: String) throws -> RoomRelay.Joined {
        let joined = relay.join(path: path, now: t0)
        return try #require(joined)
    }

    private func send(_ relay: inout RoomRelay, _ text: String, from id: RoomRelay.ChannelID,
                      at now: Timestamp = .zero) -> [RoomRelay.Output] {
        relay.receive(text: Array(text.utf8), from: id, now: now)
    }

    @Test func channelNamesAreUniqueAndOpaque() throws {
        var relay = relay()
        let a = try join(&relay, "/r")
        let b = try join(&relay, "/r")
        #expect(a.channelName != b.channelName)
        #expect(a.channelName.hasPrefix("specific.test!"))
        #expect(relay.channelName(of: a.id) == a.channelName)
        let other = RoomRelay()
        #expect(other.roomKey(forPath: "/x") == "/x")
    }

    @Test func roomKeysDropTrailingSlashesInOnePass() {
        let relay = RoomRelay()
        for (path, key) in [("/r///", "/r"), ("/r/s/?q=1", "/r/s"), ("////", "/"), ("", "/"), ("/", "/"), ("?x", "/"),
                            ("r/", "r"), ("/a/#f", "/a")] {
            #expect(relay.roomKey(forPath: path) == key, "\(path)")
        }
        // Quadratic before: 6.3 s in the debug build for this path, on the event loop every socket shares.
        #expect(relay.roomKey(forPath: "/r" + String(repeating: "/", count: 32_000)) == "/r")
    }

    @Test func otherActionsAreBroadcastToTheRoomIncludingTheSenderWithTheSendersChannel() throws {
        var relay = relay()
        let a = try join(&relay, "/room")
        let b = try join(&relay, "/room/")
        let c = try join(&relay, "/room?x=1")
        let outputs = send(&relay, frame(peer: "alice", action: "new-peer",
                                         message: ["local_screen_sharing": .bool(false),
                                                   "receiver_channel_name": .string("forged")]), from: b.id)
        guard case .deliver(let text, let targets)? = outputs.first, outputs.count == 1 else {
            Issue.record("expected one delivery, got \(outputs)")
            return
        }
        #expect(targets == [a.id, b.id, c.id])
        let value = try #require(parsed(text))
        #expect(value["peer"] == .string("alice"))
        #expect(value["action"] == .string("new-peer"))
        #expect(value["message"]?["receiver_channel_name"] == .string(b.channelName))
        #expect(value["message"]?["local_screen_sharing"] == .bool(false))
    }

    @Test(arguments: ["new-offer", "new-answer"])
    func offersAndAnswersGoToTheNamedChannelOnlyWithTheSendersName(action: String) throws {
        var relay = relay()
        let a = try join(&relay, "/room")
        let b = try join(&relay, "/room")
        _ = try join(&relay, "/room")
        let sdp = JSONValue.object(["type": .string(action == "new-offer" ? "offer" : "answer"),
                                    "sdp": .string("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n")])
        let outputs = send(&relay, frame(peer: "alice", action: action, message: [
            "sdp": sdp, "receiver_channel_name": .string(b.channelName),
            "local_screen_sharing": .bool(true), "remote_screen_sharing": .bool(false),
        ]), from: a.id)
        guard case .deliver(let text, let targets)? = outputs.first, outputs.count == 1 else {
            Issue.record("expected one delivery, got \(outputs)")
            return
        }
        #expect(targets == [b.id])
        let value = try #require(parsed(text))
        #expect(value["message"]?["receiver_channel_name"] == .string(a.channelName))
        #expect(value["message"]?["sdp"] == sdp)
        #expect(value["message"]?["local_screen_sharing"] == .bool(true))
    }

    @Test func roomsAreIsolated() throws {
        var relay = relay()
        let a = try join(&relay, "/one")
        let b = try join(&relay, "/two")
        let broadcast = send(&relay, frame(peer: "a", action: "new-peer", message: [:]), from: a.id)
        #expect(broadcast.count == 1)
        if case .deliver(_, let targets)? = broadcast.first { #expect(targets == [a.id]) }
        let offer = send(&relay, frame(peer: "a", action: "new-offer", message: [
            "receiver_channel_name": .string(b.channelName), "sdp": .object([:]),
        ]), from: a.id)
        guard case .dropped(let reason)? = offer.first, offer.count == 1 else {
            Issue.record("cross-room offer was not dropped: \(offer)")
            return
        }
        #expect(reason.contains("not in its room"))
    }

    @Test func offersToUnknownOrMissingChannelsAreDropped() throws {
        var relay = relay()
        let a = try join(&relay, "/")
        for message: [String: JSONValue] in [
            ["receiver_channel_name": .string("specific.nobody!1")],
            ["receiver_channel_name": .number(3)],
            [:],
        ] {
            let outputs = send(&relay, frame(peer: "a", action: "new-answer", message: message), from: a.id)
            guard case .dropped? = outputs.first, outputs.count == 1 else {
                Issue.record("expected a drop, got \(outputs)")
                continue
            }
        }
        #expect(relay.channelName(of: a.id) != nil)
    }

    @Test func singleRoomModeJoinsEveryPathToOneRoom() throws {
        var relay = relay(singleRoom: true)
        let a = try join(&relay, "/")
        let b = try join(&relay, "/elsewhere?x")
        #expect(a.room == b.room)
        let outputs = send(&relay, frame(peer: "b", action: "new-offer", message: [
            "receiver_channel_name": .string(a.channelName),
        ]), from: b.id)
        guard case .deliver(_, let targets)? = outputs.first else {
            Issue.record("expected a delivery, got \(outputs)")
            return
        }
        #expect(targets == [a.id])
    }

    @Test(arguments: [
        ("not json", "frame is not JSON"),
        ("[1,2]", "frame is not a JSON object"),
        ("\"peer\"", "frame is not a JSON object"),
        (#"{"action":"x","message":{}}"#, "no string 'peer'"),
        (#"{"peer":1,"action":"x","message":{}}"#, "no string 'peer'"),
        (#"{"peer":"p","message":{}}"#, "no string 'action'"),
        (#"{"peer":"p","action":"x"}"#, "no object 'message'"),
        (#"{"peer":"p","action":"x","message":"{}"}"#, "no object 'message'"),
        (#"{"peer":"p","action":"x","message":null}"#, "no object 'message'"),
        (String(repeating: "[", count: 100_000), "frame nests deeper than 32"),
        (#"{"peer":"p","action":"x","message":{"a":"#, "frame is not JSON"),
    ])
    func malformedFramesCloseTheSenderWithAReason(text: String, reason: String) throws {
        var relay = relay()
        let a = try join(&relay, "/")
        let b = try join(&relay, "/")
        let outputs = send(&relay, text, from: a.id)
        #expect(outputs == [.close(a.id, .policyViolation, reason: reason)])
        #expect(relay.channelName(of: a.id) == nil)
        #expect(relay.members(ofRoom: "/") == [b.id])
        // A closed channel's later frames go nowhere.
        #expect(send(&relay, frame(peer: "p", action: "x", message: [:]), from: a.id).isEmpty)
    }

    @Test func invalidUTF8AndBinaryFramesAreRefused() throws {
        var relay = relay()
        let a = try join(&relay, "/")
        var bytes = Array(#"{"peer":"p","action":"x","message":{"t":"?"}}"#.utf8)
        bytes[bytes.count - 4] = 0xFF
        #expect(relay.receive(text: bytes, from: a.id, now: t0) == [.close(a.id, .policyViolation,
                                                                           reason: "frame is not JSON")])
        let b = try join(&relay, "/")
        #expect(relay.receiveBinary(from: b.id) == [.close(b.id, .unsupportedData,
                                                           reason: "binary frames are not accepted")])
    }

    @Test func oversizedFramesCloseWith1009() throws {
        var relay = relay()
        let a = try join(&relay, "/")
        let padding = String(repeating: "x", count: 256 * 1024)
        let outputs = send(&relay, frame(peer: "p", action: "x", message: ["pad": .string(padding)]), from: a.id)
        #expect(outputs == [.close(a.id, .messageTooLarge, reason: "frame over 262144 bytes")])
        // Just under the limit is relayed.
        let b = try join(&relay, "/")
        let fits = frame(peer: "p", action: "x", message: ["pad": .string(String(padding.dropFirst(200)))])
        #expect(fits.utf8.count <= 256 * 1024)
        guard case .deliver? = send(&relay, fits, from: b.id).first else {
            Issue.record("frame under the limit was not delivered")
            return
        }
    }

    @Test func floodingClosesTheSenderButTheBucketRefills() throws {
        var relay = relay(limits: RoomRelay.Limits(framesPerSecond: 50, burstFrames: 200))
        let flooder = try join(&relay, "/")
        let steady = try join(&relay, "/")
        let text = frame(peer: "p", action: "chat", message: [:])
        for _ in 0..<200 {
            guard case .deliver? = send(&relay, text, from: flooder.id).first else {
                Issue.record("burst frame refused")
                return
            }
        }
        #expect(send(&relay, text, from: flooder.id) == [.close(flooder.id, .policyViolation, reason: "flood")])
        #expect(relay.members(ofRoom: "/") == [steady.id])

        // 50 frames a second forever is fine: the bucket refills as fast as it drains.
        for i in 0..<1000 {
            let now = Timestamp.milliseconds(Int64(i) * 20)
            guard case .deliver? = send(&relay, text, from: steady.id, at: now).first else {
                Issue.record("steady frame \(i) refused")
                return
            }
        }
    }

    @Test func leavingRemovesTheChannelAndEmptyRooms() throws {
        var relay = relay(limits: RoomRelay.Limits(maximumChannels: 2))
        let a = try join(&relay, "/r")
        let b = try join(&relay, "/r")
        #expect(relay.join(path: "/r", now: t0) == nil)
        relay.leave(a.id)
        relay.leave(a.id)
        #expect(relay.members(ofRoom: "/r") == [b.id])
        let offer = send(&relay, frame(peer: "b", action: "new-offer", message: [
            "receiver_channel_name": .string(a.channelName),
        ]), from: b.id)
        guard case .dropped? = offer.first else {
            Issue.record("offer to a departed channel was not dropped: \(offer)")
            return
        }
        relay.leave(b.id)
        #expect(relay.members(ofRoom: "/r").isEmpty)
        #expect(relay.channelCount == 0)
        #expect(relay.join(path: "/r", now: t0) != nil)
    }

    @Test func extraKeysAndNestedValuesSurviveReencoding() throws {
        var relay = relay()
        let a = try join(&relay, "/")
        let text = #"{"peer":"p ü \"q\"","action":"x","extra":[1,true,null],"message":{"n":{"d":[{"e":"a/b"}]}}}"#
        guard case .deliver(let out, _)? = send(&relay, text, from: a.id).first else {
            Issue.record("not delivered")
            return
        }
        let value = try #require(parsed(out))
        #expect(value["peer"] == .string("p ü \"q\""))
        #expect(value["extra"] == .array([.number(1), .bool(true), .null]))
        #expect(value["message"]?["n"] == .object(["d": .array([.object(["e": .string("a/b")])])]))
    }

    @Test func nestingDepthIgnoresBracketsInStrings() {
        #expect(RoomRelay.nestingDepth(Array(#"{"a":"[[[[{{{\"[[["}"#.utf8)) == 1)
        #expect(RoomRelay.nestingDepth(Array(#"{"a":[{"b":[]}]}"#.utf8)) == 4)
    }
}
