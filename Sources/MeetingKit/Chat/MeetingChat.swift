import Foundation
import Mesh
import MeshIO
import Recorder

/// Chat in the meeting: the room page sends chat as `NAME: TEXT` on the data channel of each camera
/// connection (docs/room-protocol.md), so posting means sending on every open camera channel.
extension Meeting {
    /// Posts `text` as `NAME: TEXT` on every open camera channel, as the browsers send chat; returns how many took it.
    @discardableResult
    public func post(_ text: String, kind: ChatLine.Kind) async -> Int {
        let line = "\(configuration.name): \(text)"
        var accepted = 0
        for (_, channel) in connections.cameraChannels {
            let sent = (try? await channel.withConnection { connection, now in connection.sendChat(line, at: now) }) ?? false
            if sent { accepted += 1 }
        }
        transcript?.append(ChatLine(time: ISOTime.string(Date()), kind: kind, connection: "bot", raw: line))
        logger.info("posted to \(accepted) participant(s): \(line.logSafe)")
        return accepted
    }

    /// Waits until everyone present is connected with an open chat channel: no new connection for
    /// `settle` (everyone present offers to a newcomer at once) and every camera channel open.
    public func waitForEveryone(settle: Duration, timeout: Duration) async {
        let start = ContinuousClock.now
        let deadline = start + timeout
        while ContinuousClock.now < deadline {
            let quiet = ContinuousClock.now - (connections.newestOpening ?? start) >= settle
            var allOpen = true
            for (_, channel) in connections.cameraChannels {
                let open = (try? await channel.withConnection { connection, _ in connection.isChatOpen }) ?? false
                if !open { allOpen = false }
            }
            if quiet && allOpen && ContinuousClock.now - start >= settle { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// `announce`: waits until everyone present has a chat channel open (no new connection for `settle`),
    /// posts once, and waits for every peer's SCTP to acknowledge it. Returns (acknowledged, participants).
    public func announce(_ text: String, settle: Duration, timeout: Duration) async -> (delivered: Int, total: Int) {
        await waitForEveryone(settle: settle, timeout: timeout)
        let line = "\(configuration.name): \(text)"
        var sent: [PeerConnectionChannel] = []
        let cameras = connections.cameraChannels
        for (_, channel) in cameras {
            let accepted = (try? await channel.withConnection { connection, now in connection.sendChat(line, at: now) }) ?? false
            if accepted { sent.append(channel) }
        }
        transcript?.append(ChatLine(time: ISOTime.string(Date()), kind: .announcement, connection: "bot", raw: line))
        var delivered = 0
        let acknowledgementDeadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < acknowledgementDeadline {
            delivered = 0
            for channel in sent {
                let pending = (try? await channel.withConnection { connection, _ in
                    connection.isChatOpen ? connection.unacknowledgedChatBytes : -1
                }) ?? -1
                if pending == 0 { delivered += 1 }
            }
            if delivered == sent.count { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return (delivered, cameras.count)
    }

    /// Everyone whose chat opens is told the meeting is recorded; only a bot that records says so
    /// (`announce` records nothing).
    func sayRecordingNotice(on key: ConnectionKey) {
        guard session != nil, let channel = connections[key] else { return }
        let text = "\(configuration.name): 🔴 This meeting is being recorded by \(configuration.name)."
        channel.perform { connection, now in connection.sendChat(text, at: now) }
        transcript?.append(ChatLine(time: ISOTime.string(Date()), kind: .notice, connection: key.description, raw: text))
    }
}
