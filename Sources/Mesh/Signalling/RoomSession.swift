/// Which of a participant's connections: its camera (with chat), its screen share, or our own screen
/// share to it (only when we share, as a synthetic participant can).
public enum ConnectionKind: String, Hashable, Sendable, Codable {
    case camera
    case screen
    case ownScreen = "own-screen"
}

/// One connection of the mesh, named by the remote's signalling channel (unique per page load) and kind.
public struct ConnectionKey: Hashable, Sendable, CustomStringConvertible {
    public var remoteChannel: String
    public var kind: ConnectionKind

    public init(remoteChannel: String, kind: ConnectionKind) {
        self.remoteChannel = remoteChannel
        self.kind = kind
    }

    public var description: String { "\(kind.rawValue)@\(remoteChannel)" }
}

/// What the room protocol asks the bot to do next.
public enum RoomAction: Equatable, Sendable {
    /// A text frame for the signalling WebSocket.
    case send(String)
    /// Build a connection from this remote offer, then call `answerReady` with the complete answer.
    case answerOffer(ConnectionKey, peer: String, sdp: String)
    /// Build a connection and an offer for this newcomer, then call `offerReady` with the complete offer.
    case makeOffer(ConnectionKey, peer: String)
    /// Apply the remote answer to the connection we offered.
    case applyAnswer(ConnectionKey, sdp: String)
    /// Something arrived that the protocol does not allow here; it was dropped.
    case rejected(String)
}

/// The room protocol of PROTOCOL.md as a sans-IO state machine: frames in, actions out.
///
/// It decides roles exactly as the room's browsers do: the bot answers offers from everyone already
/// present, and offers to everyone whose `new-peer` arrives after it joined. It never touches SDP
/// contents; the connections do.
public struct RoomSession: Sendable {
    public let me: String
    public private(set) var connections: [ConnectionKey: ConnectionRecord] = [:]

    public struct ConnectionRecord: Equatable, Sendable {
        public enum Role: Equatable, Sendable { case offerer, answerer }
        public enum Stage: Equatable, Sendable { case negotiating, awaitingAnswer, established }
        public var peer: String
        public var role: Role
        public var stage: Stage
    }

    /// Whether we share a screen: then everyone gets a second connection carrying it (PROTOCOL.md, Screen sharing).
    public private(set) var sharesScreen = false
    public let limits: ConnectionLimits
    /// New connections refused by `limits`.
    public private(set) var refusedConnections = 0

    public init(me: String, limits: ConnectionLimits = ConnectionLimits()) {
        self.me = me
        self.limits = limits
    }

    /// A counted refusal, reported at the 1st, 10th, 100th… one.
    private mutating func refuse(_ reason: String, from peer: String) -> [RoomAction] {
        refusedConnections += 1
        guard DropReporting.isReportWorthy(refusedConnections) else { return [] }
        return [.rejected("connection from '\(peer.logSafe)' refused (\(refusedConnections) so far): \(reason)")]
    }

    /// The first frame to send after the WebSocket opens.
    public func join() -> RoomAction {
        .send(SignallingCodec.encodeNewPeer(me: me, screenSharing: false))
    }

    /// Starts sharing a screen as the page does: `new-peer` again with `local_screen_sharing` true, after
    /// which everyone present offers us a screen connection, and newcomers get a second offer from us.
    public mutating func startSharing() -> RoomAction {
        sharesScreen = true
        return .send(SignallingCodec.encodeNewPeer(me: me, screenSharing: true))
    }

    public mutating func handle(frame text: String) -> [RoomAction] {
        let message: SignallingMessage
        do {
            message = try SignallingCodec.decode(text)
        } catch {
            return [.rejected("malformed signalling frame dropped: \(error)")]
        }
        // The server echoes our own broadcasts; browsers drop frames by name, and so do we.
        guard message.peer != me else { return [] }
        switch message {
        case .newPeer(let peer, let channel, let screenSharing):
            guard let channel, !channel.isEmpty else {
                return [.rejected("new-peer from '\(peer.logSafe)' without a channel dropped")]
            }
            let key = ConnectionKey(remoteChannel: channel, kind: screenSharing ? .screen : .camera)
            if connections[key] != nil {
                return [.rejected("repeated new-peer for live connection \(key) of '\(peer.logSafe)' ignored")]
            }
            if let reason = limits.refusal(for: peer, among: connections) { return refuse(reason, from: peer) }
            connections[key] = ConnectionRecord(peer: peer, role: .offerer, stage: .negotiating)
            var actions: [RoomAction] = [.makeOffer(key, peer: peer)]
            // A sharer offers every newcomer its screen too (a sharer's own new-peer gets none: it has ours).
            let ownScreen = ConnectionKey(remoteChannel: channel, kind: .ownScreen)
            if sharesScreen, !screenSharing, connections[ownScreen] == nil,
               limits.refusal(for: peer, among: connections) == nil
            {
                connections[ownScreen] = ConnectionRecord(peer: peer, role: .offerer, stage: .negotiating)
                actions.append(.makeOffer(ownScreen, peer: peer))
            }
            return actions

        case .offer(let peer, let channel, let sdp, let flags):
            if flags.remote && !sharesScreen {
                return [.rejected("offer from '\(peer.logSafe)' for a screen share of ours dropped: we share none")]
            }
            let key = ConnectionKey(remoteChannel: channel, kind: flags.remote ? .ownScreen : flags.local ? .screen : .camera)
            if connections[key] != nil {
                return [.rejected("second offer for live connection \(key) of '\(peer.logSafe)' dropped")]
            }
            if let reason = limits.refusal(for: peer, among: connections) { return refuse(reason, from: peer) }
            connections[key] = ConnectionRecord(peer: peer, role: .answerer, stage: .negotiating)
            return [.answerOffer(key, peer: peer, sdp: sdp)]

        case .answer(let peer, let channel, let sdp, let flags):
            // Answer local = the answerer's screen; answer remote = our own screen; neither = the camera.
            let key = ConnectionKey(remoteChannel: channel, kind: flags.local ? .screen : flags.remote ? .ownScreen : .camera)
            guard let record = connections[key], record.role == .offerer, record.stage == .awaitingAnswer else {
                return [.rejected("answer from '\(peer.logSafe)' for no pending offer (\(key)) dropped")]
            }
            connections[key]?.stage = .established
            return [.applyAnswer(key, sdp: sdp)]

        case .other:
            return []
        }
    }

    /// Our offer for `key` is complete (gathering done): send it.
    public mutating func offerReady(_ key: ConnectionKey, sdp: String) -> [RoomAction] {
        guard connections[key]?.role == .offerer, connections[key]?.stage == .negotiating else { return [] }
        connections[key]?.stage = .awaitingAnswer
        // Our flags as the offerer: local for our own screen; remote for theirs.
        let flags = ScreenSharingFlags(local: key.kind == .ownScreen, remote: key.kind == .screen)
        return [.send(SignallingCodec.encodeDescription(
            me: me, type: .offer, sdp: sdp, receiverChannel: key.remoteChannel, flags: flags))]
    }

    /// Our answer for `key` is complete: send it back with the offer's flags swapped.
    public mutating func answerReady(_ key: ConnectionKey, sdp: String) -> [RoomAction] {
        guard connections[key]?.role == .answerer, connections[key]?.stage == .negotiating else { return [] }
        connections[key]?.stage = .established
        let offerFlags = ScreenSharingFlags(local: key.kind == .screen, remote: key.kind == .ownScreen)
        return [.send(SignallingCodec.encodeDescription(
            me: me, type: .answer, sdp: sdp, receiverChannel: key.remoteChannel, flags: offerFlags.swapped))]
    }

    /// The connection ended (or failed to start); a later offer or new-peer for the same key starts afresh.
    public mutating func connectionClosed(_ key: ConnectionKey) {
        connections[key] = nil
    }
}

extension String {
    /// A bounded, printable form of untrusted text for log lines.
    public var logSafe: String {
        var result = ""
        for scalar in unicodeScalars.prefix(80) {
            if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return unicodeScalars.count > 80 ? result + "…" : result
    }
}
