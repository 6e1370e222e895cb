import Mesh
import MeshIO

/// The meeting's open connections, one per remote peer and kind, and what the bot sends on them:
/// its tile on camera connections, its shared "screen" (synthetic participants) on its own screen
/// connections; a remote's screen connection carries the sharer's display only.
final class ConnectionTable {
    private(set) var channels: [ConnectionKey: PeerConnectionChannel] = [:] {
        didSet {
            tile.setTargets(channels.filter { $0.key.kind == .camera }.map(\.value))
            screenTile.setTargets(channels.filter { $0.key.kind == .ownScreen }.map(\.value))
        }
    }
    private(set) var openedAt: [ConnectionKey: ContinuousClock.Instant] = [:]
    private var firstMediaSeen: Set<ConnectionKey> = []
    let tile = TileBroadcaster()
    let screenTile = TileBroadcaster()

    subscript(key: ConnectionKey) -> PeerConnectionChannel? { channels[key] }

    var keys: [ConnectionKey] { Array(channels.keys) }

    /// The connections that carry chat (the room page opens its data channel on the camera connection).
    var cameraChannels: [(key: ConnectionKey, channel: PeerConnectionChannel)] {
        channels.filter { $0.key.kind == .camera }.map { (key: $0.key, channel: $0.value) }
    }

    /// When the newest connection began; nil before the first.
    var newestOpening: ContinuousClock.Instant? { openedAt.values.max() }

    func add(_ channel: PeerConnectionChannel, for key: ConnectionKey) {
        channels[key] = channel
        openedAt[key] = .now
    }

    func remove(_ key: ConnectionKey) -> PeerConnectionChannel? {
        channels.removeValue(forKey: key)
    }

    func broadcaster(for key: ConnectionKey) -> TileBroadcaster {
        key.kind == .ownScreen ? screenTile : tile
    }

    /// True the first time it is asked for `key`: the first media packet is logged once.
    func isFirstMedia(on key: ConnectionKey) -> Bool {
        firstMediaSeen.insert(key).inserted
    }
}
