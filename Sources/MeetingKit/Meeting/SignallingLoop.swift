import Logging
import Mesh
import MeshIO
import NIOCore
import Synchronization

/// The meeting's WebSocket to the room server, kept up until the meeting ends.
///
/// Media flows peer to peer, so a lost WebSocket does not end the meeting for a recording bot: it
/// reconnects (with backoff) and keeps recording. A bot running a script (announce, check) ends with
/// the socket.
struct SignallingLoop {
    let roomURL: RoomURL
    let group: any EventLoopGroup
    let logger: Logger

    /// How a meeting's signalling ended.
    enum Outcome: Equatable {
        /// Stopped, past its deadline, or (with `endsWithSocket`) its socket closed.
        case ended
        /// The room server never took the connection within the allowed attempts.
        case unreachable(String)
    }

    /// Runs until a stop request, `deadline`, or (with `endsWithSocket`) the first socket's end.
    /// `session` runs while a socket is up; when it returns, the meeting is over. With `joinAttempts`,
    /// a room server that refuses that many first attempts in a row makes the meeting unreachable.
    func run(stop: StopSignal, until deadline: ContinuousClock.Instant?, endsWithSocket: Bool, joinAttempts: Int?,
             onText: @escaping @Sendable (String) async -> Void,
             session: @escaping @Sendable (SignallingSocket.Sender) async -> Void) async -> Outcome {
        var failures = 0
        let everConnected = Atomic(false)
        while true {
            let started = ContinuousClock.now
            var reason = "the room server closed the connection"
            do {
                try await SignallingSocket.run(url: roomURL, group: group, logger: logger, onText: onText) { sender in
                    everConnected.store(true, ordering: .relaxed)
                    await session(sender)
                }
            } catch {
                reason = "\(error)"
            }
            if stop.isRequested || endsWithSocket || (deadline.map { ContinuousClock.now >= $0 } ?? false) {
                if !stop.isRequested && endsWithSocket { logger.error("signalling ended: \(reason)") }
                return everConnected.load(ordering: .relaxed) || stop.isRequested ? .ended : .unreachable(reason)
            }
            if let joinAttempts, !everConnected.load(ordering: .relaxed), failures + 1 >= joinAttempts {
                logger.error("the room cannot be reached (\(failures + 1) attempts): \(reason)")
                return .unreachable(reason)
            }
            failures = ContinuousClock.now - started > .seconds(30) ? 1 : failures + 1
            // Capped at 2 s: the room keeps no presence list, so a newcomer's `new-peer` sent while we are away
            // never reaches us; a restarted room server must find us back within seconds.
            let backoff = Duration.milliseconds(min(250 << min(failures, 3), 2_000))
            logger.warning("signalling lost (\(reason)); recordings go on; reconnecting in \(backoff.milliseconds) ms")
            await stop.wait(until: ContinuousClock.now + backoff)
            if stop.isRequested { return .ended }
        }
    }
}
