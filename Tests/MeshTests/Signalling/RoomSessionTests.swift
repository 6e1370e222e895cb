import Foundation
import Testing
@testable import Mesh

@Suite struct RoomSessionTests {
    func frame(_ object: [String: Any]) -> String {
        let data = try? JSONSerialization.data(withJSONObject: object)
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    func decodeSent(_ action: RoomAction?) throws -> [String: Any] {
        guard case .send(let text)? = action else { throw ParseError("not a send: \(String(describing: action))") }
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return try #require(object)
    }

    @Test func joinSendsNewPeerWithoutScreenSharing() throws {
        let room = RoomSession(me: "recorder")
        let sent = try decodeSent(room.join())
        #expect(sent["peer"] as? String == "recorder")
        #expect(sent["action"] as? String == "new-peer")
        #expect((sent["message"] as? [String: Any])?["local_screen_sharing"] as? Bool == false)
    }

    @Test func answersAnOfferWithFlagsSwappedToItsChannel() throws {
        var room = RoomSession(me: "recorder")
        let offer = frame(["peer": "alice", "action": "new-offer", "message": [
            "sdp": ["type": "offer", "sdp": "v=0"], "receiver_channel_name": "chan.alice",
            "local_screen_sharing": true, "remote_screen_sharing": false,
        ]])
        let actions = room.handle(frame: offer)
        let key = ConnectionKey(remoteChannel: "chan.alice", kind: .screen)
        #expect(actions == [.answerOffer(key, peer: "alice", sdp: "v=0")])
        let sent = try decodeSent(room.answerReady(key, sdp: "v=0 answer").first)
        #expect(sent["action"] as? String == "new-answer")
        let message = try #require(sent["message"] as? [String: Any])
        #expect(message["receiver_channel_name"] as? String == "chan.alice")
        #expect(message["local_screen_sharing"] as? Bool == false)
        #expect(message["remote_screen_sharing"] as? Bool == true)
        #expect((message["sdp"] as? [String: Any])?["type"] as? String == "answer")
    }

    @Test func offersToLaterJoinersAndAppliesOnlyPendingAnswers() throws {
        var room = RoomSession(me: "recorder")
        let joined = frame(["peer": "bob", "action": "new-peer",
                            "message": ["local_screen_sharing": false, "receiver_channel_name": "chan.bob"]])
        let key = ConnectionKey(remoteChannel: "chan.bob", kind: .camera)
        #expect(room.handle(frame: joined) == [.makeOffer(key, peer: "bob")])
        let answer = frame(["peer": "bob", "action": "new-answer", "message": [
            "sdp": ["type": "answer", "sdp": "v=0 b"], "receiver_channel_name": "chan.bob",
            "local_screen_sharing": false, "remote_screen_sharing": false,
        ]])
        // An answer before our offer went out is not for a pending offer.
        guard case .rejected = room.handle(frame: answer).first else {
            Issue.record("early answer accepted")
            return
        }
        let offer = try decodeSent(room.offerReady(key, sdp: "v=0 o").first)
        #expect((offer["message"] as? [String: Any])?["receiver_channel_name"] as? String == "chan.bob")
        #expect(room.handle(frame: answer) == [.applyAnswer(key, sdp: "v=0 b")])
        guard case .rejected = room.handle(frame: answer).first else {
            Issue.record("duplicate answer accepted")
            return
        }
    }

    @Test func ownEchoesAreIgnored() {
        var room = RoomSession(me: "recorder")
        let echo = frame(["peer": "recorder", "action": "new-peer",
                          "message": ["local_screen_sharing": false, "receiver_channel_name": "chan.me"]])
        #expect(room.handle(frame: echo).isEmpty)
    }

    @Test(arguments: [
        "not json", "[]", "{\"peer\": 1, \"action\": \"new-peer\", \"message\": {}}",
        "{\"peer\": \"x\", \"action\": \"new-offer\", \"message\": \"text\"}",
        "{\"peer\": \"x\", \"action\": \"new-offer\", \"message\": {\"sdp\": {\"type\": \"offer\"}}}",
        "{\"peer\": \"x\", \"action\": \"new-offer\", \"message\": {\"receiver_channel_name\": \"c\", \"sdp\": {\"type\": \"answer\", \"sdp\": \"v=0\"}}}",
        "{\"peer\": \"x\", \"action\": \"new-peer\", \"message\": {}}",
    ])
    func malformedFramesAreRejectedWithAReason(text: String) {
        var room = RoomSession(me: "recorder")
        let actions = room.handle(frame: text)
        guard case .rejected(let reason)? = actions.first, actions.count == 1 else {
            Issue.record("not rejected: \(actions)")
            return
        }
        #expect(!reason.isEmpty)
        #expect(room.connections.isEmpty)
    }

    @Test func oversizedFramesAreRefusedBeforeParsing() {
        let huge = String(repeating: "a", count: SignallingCodec.maximumFrameBytes + 1)
        #expect(throws: ParseError.self) { try SignallingCodec.decode(huge) }
    }

    @Test func hostileNamesAreLoggedSafely() {
        let name = "../../etc\u{0}\u{7}" + String(repeating: "x", count: 200)
        #expect(!name.logSafe.contains("\u{0}"))
        #expect(name.logSafe.count < 120)
    }
}

extension RoomSessionTests {
    func newPeer(_ name: String, channel: String) -> String {
        frame(["peer": name, "action": "new-peer", "message": ["local_screen_sharing": false, "receiver_channel_name": channel]])
    }

    func offer(_ name: String, channel: String) -> String {
        frame(["peer": name, "action": "new-offer", "message": [
            "sdp": ["type": "offer", "sdp": "v=0"], "receiver_channel_name": channel,
            "local_screen_sharing": false, "remote_screen_sharing": false,
        ]])
    }

    @Test func oneNameCannotMakeUsHoldMoreThanItsShareOfConnections() {
        var room = RoomSession(me: "recorder")
        var opened = 0
        var logged = 0
        for index in 0..<1_000 {
            let text = index % 2 == 0 ? newPeer("mallory", channel: "chan.\(index)") : offer("mallory", channel: "chan.\(index)")
            for action in room.handle(frame: text) {
                switch action {
                case .makeOffer, .answerOffer: opened += 1
                case .rejected: logged += 1
                default: break
                }
            }
        }
        #expect(opened == ConnectionLimits().maximumPerName)
        #expect(room.connections.count == ConnectionLimits().maximumPerName)
        #expect(room.refusedConnections == 1_000 - opened)
        // Counted, and logged at the 1st, 10th and 100th refusal only.
        #expect(logged == 3)
        // Someone else still gets in.
        #expect(room.handle(frame: newPeer("alice", channel: "chan.alice")).count == 1)
    }

    @Test func theRoomAsAWholeIsBounded() {
        var room = RoomSession(me: "recorder", limits: ConnectionLimits(maximumConnections: 50, maximumPerName: 6))
        for index in 0..<500 {
            _ = room.handle(frame: newPeer("guest-\(index)", channel: "chan.\(index)"))
        }
        #expect(room.connections.count == 50)
        #expect(room.refusedConnections == 450)
        // A connection that ends makes room for the next.
        room.connectionClosed(ConnectionKey(remoteChannel: "chan.0", kind: .camera))
        #expect(room.handle(frame: newPeer("late", channel: "chan.late")) == [
            .makeOffer(ConnectionKey(remoteChannel: "chan.late", kind: .camera), peer: "late")])
    }
}
