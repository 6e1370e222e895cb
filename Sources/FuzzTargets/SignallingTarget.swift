import Mesh

/// The room's JSON frames (PROTOCOL.md) as the server relays them from any participant: each input line is
/// one frame, decoded alone and then fed to a room session in order, as the bot does.
enum SignallingTarget {
    static let target = FuzzTarget(name: "signalling", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        var session = RoomSession(me: "bot")
        _ = session.join()
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix(64) {
            let text = String(decoding: line, as: UTF8.self)
            if let message = try? SignallingCodec.decode(text) { _ = message.peer }
            var actions = session.handle(frame: text)
            // The bot completes what the session asks for, so later frames meet a session in every stage.
            while !actions.isEmpty {
                switch actions.removeFirst() {
                case .makeOffer(let key, _): actions += session.offerReady(key, sdp: "v=0 offer")
                case .answerOffer(let key, _, _): actions += session.answerReady(key, sdp: "v=0 answer")
                case .send, .applyAnswer, .rejected: break
                }
            }
        }
    }

    static func seeds() -> [[UInt8]] {
        let sdp = String(decoding: SDPTarget.seeds()[0], as: UTF8.self)
        let offer = SignallingCodec.encodeDescription(
            me: "alice", type: .offer, sdp: sdp, receiverChannel: "chan.alice",
            flags: ScreenSharingFlags(local: false, remote: false))
        let answer = SignallingCodec.encodeDescription(
            me: "bob", type: .answer, sdp: sdp, receiverChannel: "chan.bob",
            flags: ScreenSharingFlags(local: true, remote: false))
        let joined = #"{"action":"new-peer","message":{"local_screen_sharing":false,"receiver_channel_name":"chan.bob"},"peer":"bob"}"#
        let sharing = #"{"action":"new-peer","message":{"local_screen_sharing":true,"receiver_channel_name":"chan.bob"},"peer":"bob"}"#
        let chat = #"{"action":"chat","message":{"text":"hi \u00e9","receiver_channel_name":"chan.carol"},"peer":"carol"}"#
        return [offer, joined + "\n" + answer, sharing + "\n" + joined + "\n" + answer, chat].map { Array($0.utf8) }
    }
}
