import Logging
import Mesh
import MeshIO
import Synchronization
import Tile

/// Builds a participant's media source, starting its clock at the given time.
public typealias TileSourceFactory = @Sendable (Timestamp) throws -> any TileMediaSource

/// Sends the bot's own tile (a slate saying the meeting is recorded, and silence) to every connection.
///
/// Encoded and packetized once, sent to all: each frame's payloads go to every connection that
/// negotiated a codec we send, which adds only its own RTP header and SRTP; one hop per event loop
/// carries a frame to all the connections on that loop.
final class TileBroadcaster: Sendable {
    private let keyframeWanted = Mutex(false)
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)
    /// The connections the tile goes to, kept current by the meeting (no hop to ask for them per frame).
    private let targets = Mutex<[PeerConnectionChannel]>([])
    /// Wakes a tile that waits for its first connection: a newcomer's picture starts with its connection,
    /// not at the end of a nap (a 100 ms nap here was half of every join's wait for first media).
    private let targetsChanged = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

    func setTargets(_ channels: [PeerConnectionChannel]) {
        targets.withLock { $0 = channels }
        targetsChanged.continuation.yield()
    }

    /// Starts the bot's slate.
    func start(botName: String, logger: Logger) {
        start(logger: logger, makeSource: { start in
            try BotTile(configuration: BotTileConfiguration(
                botName: botName,
                videoRTPTimestampOffset: Crypto.randomBytes(4).reduce(0) { $0 << 8 | UInt32($1) },
                audioRTPTimestampOffset: Crypto.randomBytes(4).reduce(0) { $0 << 8 | UInt32($1) }),
                        start: start)
        })
    }

    /// Starts sending whatever `makeSource` builds (the slate, a synthetic participant's pattern, a replay).
    func start(logger: Logger, makeSource: @escaping TileSourceFactory) {
        let running = Task { [self] in
            let tile: any TileMediaSource
            do {
                tile = try makeSource(MonotonicClock.now())
            } catch {
                logger.error("the bot's tile could not start, so no participant sees it: \(error)")
                return
            }
            // The source is built inside this task and never leaves it: one owner, as its contract asks.
            var packetizer = FramePacketizer()
            var wakeUps = targetsChanged.stream.makeAsyncIterator()
            while !Task.isCancelled {
                let wait = tile.nextDeadline.at - MonotonicClock.now()
                if wait > .zero { try? await Task.sleep(for: wait) }
                if keyframeWanted.withLock({ wanted in defer { wanted = false }; return wanted }) {
                    tile.requestKeyframe()
                }
                let channels = targets.withLock { $0 }
                // Nobody to show it to: encoding would be wasted; the tile skips the missed slots later.
                // Nil: the task was cancelled.
                if channels.isEmpty {
                    if await wakeUps.next() == nil { return }
                    continue
                }
                while let media = tile.poll(at: MonotonicClock.now()) {
                    let frame: PacketizedFrame
                    switch media {
                    case .video(let encoded, let timestamp):
                        frame = packetizer.packetize(encoded.data, kind: .video, rtpTimestamp: timestamp)
                    case .audio(let packet, let timestamp):
                        // A DTX packet only says the silence goes on: it may be left out (RFC 7587 §3.1.3), as
                        // browsers do, and receivers play silence until the next one. The slate's microphone is
                        // silent, so this leaves a packet every 400 ms instead of 50 a second to each participant,
                        // which were most of the tile's sending cost (docs/architecture.md, the bot's tile).
                        guard !OpusEncoder.isDiscontinuous(packet) else { continue }
                        frame = packetizer.packetize(packet, kind: .audio, rtpTimestamp: timestamp)
                    }
                    PeerConnectionChannel.perform(on: channels) { connection, now in connection.send(frame, at: now) }
                }
            }
        }
        task.withLock { $0 = running }
    }

    /// A peer lost our picture or just connected: the next frame is a keyframe.
    func requestKeyframe() { keyframeWanted.withLock { $0 = true } }

    /// Ends the tile for good (a broadcaster is started once per meeting).
    func stop() {
        task.withLock { $0?.cancel() }
        targetsChanged.continuation.finish()
    }
}
