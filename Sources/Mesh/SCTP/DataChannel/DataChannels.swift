/// WebRTC data channels (RFC 8831) over one SCTP association, opened in-band with DCEP
/// (RFC 8832). It owns the association and forwards the sans-IO verbs to it.
///
/// Stream IDs split by DTLS role so both sides can open channels without colliding: the DTLS
/// client takes even IDs, the server odd ones (RFC 8832 section 6). A channel closes by
/// resetting its stream in both directions (RFC 8831 section 6.7): whoever closes resets its
/// outgoing side, and the other answers by resetting its own.
public struct DataChannels {
    public enum Event: Equatable, Sendable {
        case connected
        /// The peer opened a channel (after we acknowledged it), or acknowledged ours.
        case channelOpened(id: UInt16, label: String)
        case channelMessage(id: UInt16, DataChannelMessage)
        case channelClosed(id: UInt16)
        case closed(reason: String)
    }

    public struct Channel: Equatable, Sendable {
        public var id: UInt16
        public var label: String
        public var `protocol`: String
        public var ordered: Bool
        /// The other side acknowledged our DATA_CHANNEL_OPEN, or we acknowledged theirs.
        public var isOpen: Bool
        /// We reset our outgoing stream already.
        var closing = false
    }

    /// A page opens one channel; a peer may open thousands, each with a label of up to 64 KiB.
    /// Beyond this many, a DATA_CHANNEL_OPEN is refused by resetting its stream (counted).
    public static let maximumChannels = 64
    /// Labels and protocols are kept to this many UTF-8 bytes: enough for any name a page uses.
    static let maximumNameBytes = 256

    public private(set) var association: SCTPAssociation
    public private(set) var channels: [UInt16: Channel] = [:]
    /// DATA_CHANNEL_OPENs refused because `maximumChannels` were open.
    public private(set) var refusedChannels = 0
    /// Why the last inbound message was ignored, for logs and tests.
    public private(set) var lastDropReason: String? { didSet { drops &+= 1 } }
    /// Inbound messages ignored so far, each with a `lastDropReason`.
    public private(set) var drops = 0
    private let firstLocalID: UInt16
    private var pending: [Event] = []

    public init(association: SCTPAssociation, dtlsRole: DTLSRole) {
        self.association = association
        firstLocalID = dtlsRole == .client ? 0 : 1
    }

    // MARK: - Sans-IO verbs, forwarded

    public mutating func start(at time: Timestamp) { association.start(at: time) }
    public mutating func handlePacket(_ bytes: [UInt8], at time: Timestamp) { association.handlePacket(bytes, at: time) }
    public mutating func handleTimeout(at time: Timestamp) { association.handleTimeout(at: time) }
    public mutating func pollTransmit() -> [UInt8]? { association.pollTransmit() }
    public var nextDeadline: Deadline? { association.nextDeadline }

    // MARK: - Channels

    /// Opens a channel (reliable and ordered, as browsers create `channel`) and returns its
    /// stream ID. Messages may follow at once: ordered delivery puts them after the OPEN.
    public mutating func open(label: String, protocol: String = "") throws -> UInt16 {
        var id = firstLocalID
        while channels[id] != nil {
            guard id <= UInt16.max - 2 else { throw SCTPSendError("no free stream ID for a new data channel") }
            id += 2
        }
        let open = DataChannelOpen(channelType: .reliable, label: label, protocol: `protocol`)
        try association.send(streamID: id, ppid: DataChannelPPID.control, bytes: open.serialize(), ordered: true)
        channels[id] = Channel(id: id, label: label, protocol: `protocol`, ordered: true, isOpen: false)
        return id
    }

    public mutating func send(_ message: DataChannelMessage, on id: UInt16) throws {
        guard let channel = channels[id], !channel.closing else {
            throw SCTPSendError("no open data channel on stream \(id)")
        }
        let (ppid, bytes) = message.wire
        try association.send(streamID: id, ppid: ppid, bytes: bytes, ordered: channel.ordered)
    }

    /// Closes a channel: our outgoing stream is reset after what was queued on it, and the
    /// channel is reported closed when the peer resets its side too.
    public mutating func close(_ id: UInt16) {
        guard var channel = channels[id], !channel.closing else { return }
        channel.closing = true
        channels[id] = channel
        association.resetStreams([id])
    }

    public mutating func pollEvent() -> Event? {
        while pending.isEmpty, let event = association.pollEvent() {
            translate(event)
        }
        return pending.isEmpty ? nil : pending.removeFirst()
    }

    private mutating func translate(_ event: SCTPEvent) {
        switch event {
        case .connected:
            pending.append(.connected)
        case .closed(let reason):
            pending.append(.closed(reason: reason))
        case .streamReset(let ids):
            var answer: [UInt16] = []
            for id in ids {
                guard let channel = channels.removeValue(forKey: id) else { continue }
                if !channel.closing { answer.append(id) }
                pending.append(.channelClosed(id: id))
            }
            if !answer.isEmpty { association.resetStreams(answer) }
        case .message(let id, let ppid, let bytes):
            if ppid == DataChannelPPID.control {
                handleControl(bytes, on: id)
            } else if let message = DataChannelMessage(ppid: ppid, bytes: bytes) {
                guard channels[id] != nil else {
                    lastDropReason = "message on stream \(id), which has no channel"
                    return
                }
                pending.append(.channelMessage(id: id, message))
            } else {
                lastDropReason = "message with unknown PPID \(ppid) on stream \(id)"
            }
        }
    }

    private mutating func handleControl(_ bytes: [UInt8], on id: UInt16) {
        switch bytes.first {
        case DataChannelOpen.messageType:
            let open: DataChannelOpen
            do { open = try DataChannelOpen.parse(bytes) } catch {
                lastDropReason = "\(error)"
                return
            }
            guard id % 2 != firstLocalID % 2 else {
                lastDropReason = "DATA_CHANNEL_OPEN on stream \(id), which has our parity"
                return
            }
            guard channels[id] == nil else {
                lastDropReason = "DATA_CHANNEL_OPEN on stream \(id), already in use"
                return
            }
            guard channels.count < Self.maximumChannels else {
                refusedChannels += 1
                lastDropReason = "DATA_CHANNEL_OPEN on stream \(id) refused: \(Self.maximumChannels) channels are open"
                association.resetStreams([id])
                return
            }
            do {
                try association.send(
                    streamID: id, ppid: DataChannelPPID.control, bytes: DataChannelAck().serialize(), ordered: true)
            } catch {
                lastDropReason = "could not acknowledge channel \(id): \(error)"
                return
            }
            let label = Self.bounded(open.label)
            channels[id] = Channel(
                id: id, label: label, protocol: Self.bounded(open.protocol), ordered: open.channelType.isOrdered,
                isOpen: true)
            pending.append(.channelOpened(id: id, label: label))
        case DataChannelAck.messageType:
            guard var channel = channels[id], !channel.isOpen, (try? DataChannelAck.parse(bytes)) != nil else {
                lastDropReason = "unexpected DATA_CHANNEL_ACK on stream \(id)"
                return
            }
            channel.isOpen = true
            channels[id] = channel
            pending.append(.channelOpened(id: id, label: channel.label))
        default:
            lastDropReason = "unknown DCEP message on stream \(id)"
        }
    }

    private static func bounded(_ name: String) -> String {
        name.utf8.count <= maximumNameBytes ? name : String(decoding: name.utf8.prefix(maximumNameBytes), as: UTF8.self)
    }
}
