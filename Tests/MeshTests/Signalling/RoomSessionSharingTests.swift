import Foundation
import Testing
@testable import Mesh

/// The sharer's side of PROTOCOL.md's screen sharing, as a synthetic participant plays it.
@Suite struct RoomSessionSharingTests {
    func frame(_ object: [String: Any]) -> String {
        let data = try? JSONSerialization.data(withJSONObject: object)
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    func message(_ action: RoomAction?) throws -> [String: Any] {
        guard case .send(let text)? = action else { throw ParseError("not a send: \(String(describing: action))") }
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return try #require(object?["message"] as? [String: Any])
    }

    func description(_ action: String, from peer: String, channel: String, local: Bool, remote: Bool) -> String {
        frame(["peer": peer, "action": action, "message": [
            "sdp": ["type": action == "new-offer" ? "offer" : "answer", "sdp": "v=0 \(peer)"],
            "receiver_channel_name": channel, "local_screen_sharing": local, "remote_screen_sharing": remote,
        ]])
    }

    @Test func startingToShareSendsNewPeerWithTheFlag() throws {
        var room = RoomSession(me: "synthetic-1")
        #expect(try message(room.startSharing())["local_screen_sharing"] as? Bool == true)
        #expect(room.sharesScreen)
    }

    @Test func answersAnOfferForOurScreenWithLocalTrue() throws {
        var room = RoomSession(me: "synthetic-1")
        let offer = description("new-offer", from: "recorder", channel: "chan.r", local: false, remote: true)
        // Before sharing, an offer for our screen is refused.
        guard case .rejected = room.handle(frame: offer).first else {
            Issue.record("offer for a screen we do not share accepted")
            return
        }
        _ = room.startSharing()
        let key = ConnectionKey(remoteChannel: "chan.r", kind: .ownScreen)
        #expect(room.handle(frame: offer) == [.answerOffer(key, peer: "recorder", sdp: "v=0 recorder")])
        let sent = try message(room.answerReady(key, sdp: "v=0 answer").first)
        #expect(sent["local_screen_sharing"] as? Bool == true)
        #expect(sent["remote_screen_sharing"] as? Bool == false)
    }

    @Test func offersNewcomersCameraAndScreenAndRoutesTheirAnswers() throws {
        var room = RoomSession(me: "synthetic-1")
        _ = room.startSharing()
        let joined = frame(["peer": "recorder", "action": "new-peer",
                            "message": ["local_screen_sharing": false, "receiver_channel_name": "chan.r"]])
        let camera = ConnectionKey(remoteChannel: "chan.r", kind: .camera)
        let screen = ConnectionKey(remoteChannel: "chan.r", kind: .ownScreen)
        #expect(room.handle(frame: joined) == [.makeOffer(camera, peer: "recorder"), .makeOffer(screen, peer: "recorder")])
        let cameraOffer = try message(room.offerReady(camera, sdp: "v=0 c").first)
        #expect(cameraOffer["local_screen_sharing"] as? Bool == false && cameraOffer["remote_screen_sharing"] as? Bool == false)
        let screenOffer = try message(room.offerReady(screen, sdp: "v=0 s").first)
        #expect(screenOffer["local_screen_sharing"] as? Bool == true && screenOffer["remote_screen_sharing"] as? Bool == false)
        // The answer to our screen offer says remote = true (the receiver's, our, screen).
        let screenAnswer = description("new-answer", from: "recorder", channel: "chan.r", local: false, remote: true)
        #expect(room.handle(frame: screenAnswer) == [.applyAnswer(screen, sdp: "v=0 recorder")])
        let cameraAnswer = description("new-answer", from: "recorder", channel: "chan.r", local: false, remote: false)
        #expect(room.handle(frame: cameraAnswer) == [.applyAnswer(camera, sdp: "v=0 recorder")])
    }

    @Test func anotherSharersNewPeerGetsOnlyAnOfferForTheirScreen() {
        var room = RoomSession(me: "synthetic-1")
        _ = room.startSharing()
        let sharing = frame(["peer": "alice", "action": "new-peer",
                             "message": ["local_screen_sharing": true, "receiver_channel_name": "chan.a"]])
        #expect(room.handle(frame: sharing) == [.makeOffer(ConnectionKey(remoteChannel: "chan.a", kind: .screen), peer: "alice")])
    }
}
