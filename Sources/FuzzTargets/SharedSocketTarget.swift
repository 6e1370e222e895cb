import Mesh

/// The router of a UDP socket many connections share (`SharedSocketRouter`), which sees every datagram that
/// reaches the socket from anyone, driven by a script: connections added and removed, what they send (checks,
/// answers), datagrams arriving (forged STUN with chosen ufrags and transaction IDs, or raw bytes), and time.
/// A datagram may only ever reach a connection that is there; a request naming a connection's ufrag always does.
enum SharedSocketTarget {
    static let target = FuzzTarget(name: "shared-socket", run: run, seeds: seeds)
    static let maximumSteps = 2_000

    /// Eight connections at most, each known by one of eight ufrags; eight peer addresses.
    static func ufrag(_ index: UInt8) -> String { "uf\(index & 7)" }
    static func address(_ index: UInt8) -> TransportAddress {
        TransportAddress(addressBytes: [127, 0, 0, 1], port: 40_000 + UInt16(index & 7))!
    }

    /// A STUN message from the script: a class, a transaction ID from a small set (so responses can match),
    /// and a USERNAME naming one of the ufrags, or raw attribute bytes.
    static func stun(_ input: inout FuzzInput) -> [UInt8] {
        let messageClass = STUNMessage.MessageClass(rawValue: input.byte() & 3) ?? .request
        let transaction = STUNTransactionID(bytes: [UInt8](repeating: input.byte() & 15, count: 12))!
        let attributes: [STUNAttribute] = input.bool() ? [.username("\(ufrag(input.byte())):peer")] : []
        var bytes = STUNMessage(messageClass, transactionID: transaction, attributes: attributes).encode(fingerprint: input.bool())
        // Raw bytes after the header or the attributes: lengths that lie, attributes that overrun.
        if input.bool() {
            let cut = min(bytes.count, 20 + Int(input.byte()) % 24)
            bytes = Array(bytes.prefix(cut)) + input.shortBytes()
        }
        return bytes
    }

    static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        var router = SharedSocketRouter<UInt8>()
        var present: [UInt8: String] = [:]
        var now = Timestamp.zero
        for _ in 0..<maximumSteps where !input.isAtEnd {
            switch input.byte() % 6 {
            case 0:
                let id = input.byte() & 7
                let name = ufrag(input.byte())
                let taken = present.values.contains(name) || present[id] != nil
                let added = router.add(id, localUfrag: name)
                RoundTrip.require(added == !taken, "shared socket: add(\(id), \(name)) gave \(added), taken \(taken)")
                if added { present[id] = name }
            case 1:
                let id = input.byte() & 7
                router.remove(id)
                present[id] = nil
            case 2:
                let id = input.byte() & 7
                router.sent(stun(&input), to: address(input.byte()), by: id, at: now)
            case 3, 4:
                let datagram = input.bool() ? stun(&input) : input.shortBytes()
                let source = address(input.byte())
                let route = router.route(datagram, from: source)
                if case .connection(let id) = route {
                    RoundTrip.require(present[id] != nil, "shared socket: routed to \(id), which is not there")
                }
                if let message = try? STUNMessage.decode(datagram), message.messageClass == .request,
                   let username = message.username, let owner = present.first(where: { username.hasPrefix($0.value + ":") })?.key {
                    RoundTrip.require(route == .connection(owner), "shared socket: a check for \(username) went to \(route)")
                }
            default:
                now = now + .milliseconds(Int64(input.uint16()) * 10)
            }
        }
    }

    static func seeds() -> [[UInt8]] {
        var script = FuzzScript()
        // Two connections; each answers a check and sends one of its own; the peers answer and send DTLS.
        for (id, name) in [(UInt8(1), UInt8(1)), (2, 2)] {
            script.byte(0); script.byte(id); script.byte(name)
        }
        for id: UInt8 in [1, 2] {
            // An answer (success response, transaction 3, no USERNAME, FINGERPRINT) to the peer at `id`.
            script.byte(2); script.byte(id); script.byte(2); script.byte(3); script.bool(false); script.bool(true); script.bool(false); script.byte(id)
            // A check of its own (request, transaction id+4, USERNAME).
            script.byte(2); script.byte(id); script.byte(0); script.byte(id + 4); script.bool(true); script.byte(9); script.bool(true); script.bool(false); script.byte(id)
        }
        for id: UInt8 in [1, 2] {
            // The peer's check naming connection `id`'s ufrag, its answer, and a DTLS record.
            script.byte(3); script.bool(true); script.byte(0); script.byte(7); script.bool(true); script.byte(id); script.bool(true); script.bool(false); script.byte(id)
            script.byte(3); script.bool(true); script.byte(2); script.byte(id + 4); script.bool(false); script.bool(true); script.bool(false); script.byte(id)
            script.byte(4); script.bool(false); script.shortBytes([22, 0xFE, 0xFD, 0, 0]); script.byte(id)
        }
        script.byte(5); script.uint16(2_000)
        script.byte(1); script.byte(1)
        script.byte(4); script.bool(false); script.shortBytes([0x80, 96, 0, 1]); script.byte(1)
        return [script.bytes]
    }
}
