/// Which connection a datagram belongs to when many connections share one UDP socket
/// (docs/architecture.md, "One socket per event loop").
///
/// The rules, in the order they apply:
/// - A STUN request names our side of the connection it is for: the part of its USERNAME before the colon is
///   that connection's local ICE ufrag, unique per connection.
/// - A STUN response belongs to whoever sent the request with its transaction ID.
/// - Everything else (DTLS, SRTP, SRTCP, STUN indications) goes by the address it came from, once a connection
///   has vouched for that address by answering a check from it with success: it answers only checks that carry
///   its password, so no peer can claim another's address, and the first connection to vouch keeps it.
///
/// Sans-IO: bytes and addresses in, a route out. Every table is bounded; what no rule places is dropped and
/// counted, never guessed.
public struct SharedSocketRouter<ID: Hashable & Sendable>: Sendable {
    public enum Route: Equatable, Sendable {
        case connection(ID)
        case drop(Reason)
    }

    public enum Reason: String, Sendable, CaseIterable {
        case unknownUfrag = "a STUN request for an ICE ufrag no connection here has"
        case unknownTransaction = "a STUN response to no request sent from here"
        case unknownAddress = "a datagram from an address no connection has validated"
        case malformedSTUN = "a STUN message whose attributes overrun it"
    }

    /// Addresses one connection may vouch for: its peer's candidates that answered (a few), never a flood of
    /// spoofed sources.
    public static var maxAddressesPerConnection: Int { 8 }
    /// Requests in flight whose responses can still be placed; beyond it the oldest are forgotten.
    public static var maxTransactions: Int { 16_384 }
    /// Longer than a check's last retransmission waits (RFC 8489: 7 transmissions, RTO capped at 1.6 s here).
    public static var transactionLifetime: Duration { .seconds(16) }

    private var connectionsByUfrag: [String: ID] = [:]
    private var ufragByConnection: [ID: String] = [:]
    private var connectionsByAddress: [TransportAddress: ID] = [:]
    private var addressesByConnection: [ID: [TransportAddress]] = [:]
    private var transactions: [TransactionKey: ID] = [:]
    /// Oldest first, for expiry; a key here may already have been overwritten or removed from `transactions`.
    private var transactionOrder: [(key: TransactionKey, sentAt: Timestamp)] = []
    private var transactionOrderStart = 0

    public private(set) var drops: [Reason: Int] = [:]

    public init() {}

    public var connectionCount: Int { ufragByConnection.count }

    /// Adds a connection known by its local ICE ufrag; false when another connection here already has it.
    public mutating func add(_ id: ID, localUfrag: String) -> Bool {
        guard connectionsByUfrag[localUfrag] == nil, ufragByConnection[id] == nil else { return false }
        connectionsByUfrag[localUfrag] = id
        ufragByConnection[id] = localUfrag
        return true
    }

    /// Forgets a connection and everything routed to it.
    public mutating func remove(_ id: ID) {
        if let ufrag = ufragByConnection.removeValue(forKey: id) { connectionsByUfrag[ufrag] = nil }
        for address in addressesByConnection.removeValue(forKey: id) ?? [] where connectionsByAddress[address] == id {
            connectionsByAddress[address] = nil
        }
        // Transactions of a removed connection expire on their own; a response to one is then dropped.
        transactions = transactions.filter { $0.value != id }
    }

    /// Where `bytes` from `source` go.
    public mutating func route(_ bytes: [UInt8], from source: TransportAddress) -> Route {
        let route = destination(of: bytes, from: source)
        if case .drop(let reason) = route { drops[reason, default: 0] += 1 }
        return route
    }

    /// Learns from what connection `id` sends to `destination`: its requests' transaction IDs, and the
    /// addresses whose checks it answered with success.
    public mutating func sent(_ bytes: [UInt8], to destination: TransportAddress, by id: ID, at now: Timestamp) {
        guard ufragByConnection[id] != nil, let header = STUNHeader(bytes) else { return }
        switch header.messageClass {
        case .request:
            remember(header.transaction, for: id, at: now)
        case .successResponse:
            vouch(for: destination, by: id)
        case .errorResponse, .indication:
            break
        }
    }

    /// The connection that vouched for `address`, if any.
    public func connection(at address: TransportAddress) -> ID? { connectionsByAddress[address] }

    // MARK: - Rules

    private func destination(of bytes: [UInt8], from source: TransportAddress) -> Route {
        if let header = STUNHeader(bytes) {
            switch header.messageClass {
            case .request:
                guard let username = header.username(in: bytes) else { return .drop(.malformedSTUN) }
                let ufrag = username.prefix { $0 != UInt8(ascii: ":") }
                guard let ufrag = String(validating: ufrag, as: UTF8.self), let id = connectionsByUfrag[ufrag] else {
                    return .drop(.unknownUfrag)
                }
                return .connection(id)
            case .successResponse, .errorResponse:
                guard let id = transactions[header.transaction] else { return .drop(.unknownTransaction) }
                return .connection(id)
            case .indication:
                break
            }
        }
        guard let id = connectionsByAddress[source] else { return .drop(.unknownAddress) }
        return .connection(id)
    }

    private mutating func vouch(for address: TransportAddress, by id: ID) {
        guard connectionsByAddress[address] == nil else { return }
        var addresses = addressesByConnection[id, default: []]
        guard addresses.count < Self.maxAddressesPerConnection else { return }
        addresses.append(address)
        addressesByConnection[id] = addresses
        connectionsByAddress[address] = id
    }

    private mutating func remember(_ transaction: TransactionKey, for id: ID, at now: Timestamp) {
        expireTransactions(at: now)
        if transactions.count >= Self.maxTransactions { forgetOldestTransaction() }
        if transactions.updateValue(id, forKey: transaction) == nil {
            transactionOrder.append((transaction, now))
        }
    }

    private mutating func expireTransactions(at now: Timestamp) {
        let lifetime = Self.transactionLifetime
        while transactionOrderStart < transactionOrder.count,
              now - transactionOrder[transactionOrderStart].sentAt > lifetime {
            forgetOldestTransaction()
        }
    }

    private mutating func forgetOldestTransaction() {
        guard transactionOrderStart < transactionOrder.count else { return }
        transactions[transactionOrder[transactionOrderStart].key] = nil
        transactionOrderStart += 1
        // Compact once the forgotten head is half the array, so the array never outgrows twice the table.
        if transactionOrderStart * 2 >= transactionOrder.count {
            transactionOrder.removeFirst(transactionOrderStart)
            transactionOrderStart = 0
        }
    }
}

/// A STUN transaction ID as a hashable value without a heap allocation.
private struct TransactionKey: Hashable, Sendable {
    var high: UInt64
    var low: UInt32
}

/// The fixed header of a datagram that passes the RFC 7983 STUN test, read without decoding the message.
private struct STUNHeader {
    var messageClass: STUNMessage.MessageClass
    var transaction: TransactionKey
    /// Where the attributes end: the header's length field, or the datagram's end if that comes first.
    var attributesEnd: Int

    static let usernameType: UInt16 = 0x0006

    init?(_ bytes: [UInt8]) {
        guard STUNMessage.looksLikeSTUN(bytes) else { return nil }
        let type = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        messageClass = STUNMessage.split(messageType: type).0
        let length = Int(UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
        attributesEnd = min(bytes.count, STUNMessage.headerLength + length)
        var high: UInt64 = 0
        for index in 8..<16 { high = high << 8 | UInt64(bytes[index]) }
        var low: UInt32 = 0
        for index in 16..<20 { low = low << 8 | UInt32(bytes[index]) }
        transaction = TransactionKey(high: high, low: low)
    }

    /// The USERNAME attribute's value; nil when the message has none or an attribute overruns it.
    func username(in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        var offset = STUNMessage.headerLength
        while offset + 4 <= attributesEnd {
            let type = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let length = Int(UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3]))
            let valueStart = offset + 4
            guard valueStart + length <= attributesEnd else { return nil }
            if type == Self.usernameType { return bytes[valueStart..<(valueStart + length)] }
            // Values are padded to a multiple of 4 bytes.
            offset = valueStart + (length + 3) / 4 * 4
        }
        return nil
    }
}
