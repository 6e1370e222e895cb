import Logging
import MeshIO
import NIOCore

/// The meeting's WebSocket to the room server, kept up until the meeting ends.
///
/// Media flows peer to peer, so a lost WebSocket does not end the meeting for a recording bot: it
/// reconnects (with backoff) and keeps recording. A bot running a script (announce, check) ends with
/// the socket.
struct SignallingLoop {
    let roomURL: RoomURL
    let group: any EventLoopGroup
    let logger: Logger

    /// Runs until a stop request, `deadline`, or (with `endsWithSocket`) the first socket's end.
    /// `session` runs while a socket is up; when it returns, the meeting is over.
    func run(stop: StopSignal, until deadline: ContinuousClock.Instant?, endsWithSocket: Bool,
             onText: @escaping @Sendable (String) async -> Void,
             session: @escaping @Sendable (SignallingSocket.Sender) async -> Void) async {
        var failures = 0
        while true {
            let started = ContinuousClock.now
            var reason = "the room server closed the connection"
            do {
                try await SignallingSocket.run(url: roomURL, group: group, logger: logger, onText: onText, body: session)
            } catch {
                reason = "\(error)"
            }
            if stop.isRequested || endsWithSocket || (deadline.map { ContinuousClock.now >= $0 } ?? false) {
                if !stop.isRequested && endsWithSocket { logger.error("signalling ended: \(reason)") }
                return
            }
            failures = ContinuousClock.now - started > .seconds(30) ? 1 : failures + 1
            let backoff = Duration.milliseconds(min(250 << min(failures, 5), 5_000))
            logger.warning("signalling lost (\(reason)); recordings go on; reconnecting in \(backoff.milliseconds) ms")
            await stop.wait(until: ContinuousClock.now + backoff)
            if stop.isRequested { return }
        }
    }
}
