/// What an association tells its owner, drained with `SCTPAssociation.pollEvent()`.
public enum SCTPEvent: Equatable, Sendable {
    /// The four-way handshake finished; messages queued before it now flow.
    case connected
    /// One whole user message, reassembled, in order for ordered streams.
    case message(streamID: UInt16, ppid: UInt32, bytes: [UInt8])
    /// The peer reset its outgoing side of these streams (RFC 6525): for a data channel, the
    /// peer closed it. Sequence numbers on them start again at 0.
    case streamReset([UInt16])
    /// The association is over: shut down, aborted by either side, or given up on.
    case closed(reason: String)
}

/// Why `SCTPAssociation.send` refused a message.
public struct SCTPSendError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
