import Logging
import Mesh
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket

/// The one `RoomRelay` shared by every connection, behind a lock, and the channels its ids stand for.
///
/// Deliveries are written after the lock is released: a write can close the receiving channel
/// (slow reader), whose `channelInactive` comes back here to leave.
final class RoomHub: Sendable {
    private struct State {
        var relay: RoomRelay
        var channels: [RoomRelay.ChannelID: any Channel] = [:]
    }

    /// What the caller's own connection must do after its frame was relayed.
    struct CloseInstruction: Equatable {
        var code: RoomRelay.CloseCode
        var reason: String
    }

    private let state: NIOLockedValueBox<State>
    private let logger: Logger

    init(relay: RoomRelay, logger: Logger) {
        state = NIOLockedValueBox(State(relay: relay))
        self.logger = logger
    }

    func join(path: String, channel: any Channel) -> RoomRelay.Joined? {
        let joined = state.withLockedValue { state -> RoomRelay.Joined? in
            guard let joined = state.relay.join(path: path, now: Self.now()) else { return nil }
            state.channels[joined.id] = channel
            return joined
        }
        if let joined {
            logger.info("joined", metadata: ["channel": "\(joined.id)", "room": "\(joined.room.logSafe)"])
        } else {
            logger.warning("connection refused: server full")
        }
        return joined
    }

    func leave(_ id: RoomRelay.ChannelID) {
        let wasMember = state.withLockedValue { state in
            state.relay.leave(id)
            return state.channels.removeValue(forKey: id) != nil
        }
        if wasMember { logger.info("left", metadata: ["channel": "\(id)"]) }
    }

    func receive(text: ByteBuffer, from id: RoomRelay.ChannelID) -> CloseInstruction? {
        relay(from: id) { $0.receive(text: text.readableBytesView, from: id, now: Self.now()) }
    }

    func receiveBinary(from id: RoomRelay.ChannelID) -> CloseInstruction? {
        relay(from: id) { $0.receiveBinary(from: id) }
    }

    /// Closes every connection, for shutdown.
    func closeAll() {
        let channels = state.withLockedValue { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
    }

    private func relay(from id: RoomRelay.ChannelID,
                       _ body: (inout RoomRelay) -> [RoomRelay.Output]) -> CloseInstruction? {
        typealias Delivery = (text: String, channels: [any Channel])
        var deliveries: [Delivery] = []
        var instruction: CloseInstruction?
        var notes: [String] = []
        state.withLockedValue { state in
            for output in body(&state.relay) {
                switch output {
                case .deliver(let text, let ids):
                    deliveries.append((text, ids.compactMap { state.channels[$0] }))
                case .close(let closed, let code, let reason):
                    // The relay only ever closes the sender; its handler sends the close frame.
                    state.channels[closed] = nil
                    if closed == id { instruction = CloseInstruction(code: code, reason: reason) }
                case .dropped(let note):
                    notes.append(note)
                }
            }
        }
        for note in notes { logger.notice("dropped: \(note)") }
        for delivery in deliveries where !delivery.channels.isEmpty {
            var buffer = delivery.channels[0].allocator.buffer(capacity: delivery.text.utf8.count)
            buffer.writeString(delivery.text)
            let frame = WebSocketFrame(fin: true, opcode: .text, data: buffer)
            for channel in delivery.channels { channel.writeAndFlush(frame, promise: nil) }
        }
        return instruction
    }

    private static func now() -> Timestamp {
        Timestamp(nanoseconds: Int64(clamping: NIODeadline.now().uptimeNanoseconds))
    }
}
