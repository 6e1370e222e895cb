import Testing
@testable import Mesh

/// Many connections on one socket: each datagram reaches its own connection, and no peer can take another's.
@Suite struct SharedSocketRouterTests {
    static let shared = TransportAddress(host: "127.0.0.1", port: 50_000)!

    static func address(_ port: UInt16) -> TransportAddress { TransportAddress(host: "127.0.0.1", port: port)! }

    static func request(ufrag: String, transaction: UInt8 = 1) -> [UInt8] {
        let id = STUNTransactionID(bytes: [UInt8](repeating: transaction, count: 12))!
        return STUNMessage(.request, transactionID: id, attributes: [.username("\(ufrag):peer")])
            .encode(integrityKey: Array("password".utf8), fingerprint: true)
    }

    static func response(_ messageClass: STUNMessage.MessageClass = .successResponse, transaction: UInt8 = 1) -> [UInt8] {
        let id = STUNTransactionID(bytes: [UInt8](repeating: transaction, count: 12))!
        return STUNMessage(messageClass, transactionID: id, attributes: []).encode(fingerprint: true)
    }

    static let dtls: [UInt8] = [22, 0xFE, 0xFD] + [UInt8](repeating: 0, count: 20)

    @Test func eachKindOfDatagramFindsItsConnectionByItsOwnRule() {
        var router = SharedSocketRouter<Int>()
        let addedBoth = router.add(1, localUfrag: "aaaa") && router.add(2, localUfrag: "bbbb")
        let addedTwice = router.add(3, localUfrag: "aaaa")
        #expect(addedBoth)
        #expect(!addedTwice, "a ufrag names one connection")
        let peerOfOne = Self.address(40_001), peerOfTwo = Self.address(40_002)

        // Checks go by the ufrag they name, whatever their source.
        #expect(router.route(Self.request(ufrag: "bbbb"), from: peerOfOne) == .connection(2))
        #expect(router.route(Self.request(ufrag: "cccc"), from: peerOfOne) == .drop(.unknownUfrag))
        // Responses go to whoever sent the request.
        router.sent(Self.request(ufrag: "peer", transaction: 7), to: peerOfTwo, by: 2, at: .seconds(1))
        #expect(router.route(Self.response(transaction: 7), from: peerOfTwo) == .connection(2))
        #expect(router.route(Self.response(.errorResponse, transaction: 7), from: peerOfOne) == .connection(2))
        #expect(router.route(Self.response(transaction: 8), from: peerOfTwo) == .drop(.unknownTransaction))
        // The rest goes by address, once a connection answered a check from it.
        #expect(router.route(Self.dtls, from: peerOfOne) == .drop(.unknownAddress))
        router.sent(Self.response(transaction: 9), to: peerOfOne, by: 1, at: .seconds(1))
        #expect(router.route(Self.dtls, from: peerOfOne) == .connection(1))
        #expect(router.route(Self.dtls, from: peerOfTwo) == .drop(.unknownAddress))
        // An error answer vouches for nothing.
        router.sent(Self.response(.errorResponse, transaction: 10), to: peerOfTwo, by: 2, at: .seconds(1))
        #expect(router.route(Self.dtls, from: peerOfTwo) == .drop(.unknownAddress))
        #expect(router.drops[.unknownAddress] == 3 && router.drops[.unknownUfrag] == 1 && router.drops[.unknownTransaction] == 1)
    }

    @Test func theFirstConnectionToVouchForAnAddressKeepsItUntilItLeaves() {
        var router = SharedSocketRouter<Int>()
        _ = router.add(1, localUfrag: "aaaa")
        _ = router.add(2, localUfrag: "bbbb")
        let victim = Self.address(40_001)
        router.sent(Self.response(), to: victim, by: 1, at: .seconds(1))
        // A peer of connection 2 that answers "from" the victim's address (a candidate it made up) takes nothing.
        router.sent(Self.response(), to: victim, by: 2, at: .seconds(1))
        #expect(router.route(Self.dtls, from: victim) == .connection(1))
        router.remove(1)
        #expect(router.route(Self.dtls, from: victim) == .drop(.unknownAddress))
        #expect(router.route(Self.request(ufrag: "aaaa"), from: victim) == .drop(.unknownUfrag))
        let readded = router.add(1, localUfrag: "aaaa")
        #expect(readded, "a removed connection's ufrag is free again")
    }

    @Test func aFloodOfAddressesAndTransactionsStaysBounded() {
        var router = SharedSocketRouter<Int>()
        _ = router.add(1, localUfrag: "aaaa")
        for port in 0..<1_000 {
            router.sent(Self.response(), to: Self.address(UInt16(41_000 + port)), by: 1, at: .seconds(1))
        }
        let vouched = (0..<1_000).filter { router.connection(at: Self.address(UInt16(41_000 + $0))) != nil }
        #expect(vouched.count == SharedSocketRouter<Int>.maxAddressesPerConnection)

        // Requests in flight: at most the table's size, the oldest forgotten first, and all gone after their lifetime.
        let limit = SharedSocketRouter<Int>.maxTransactions
        for index in 0..<(limit + 100) {
            var bytes = Self.request(ufrag: "peer")
            bytes[8] = UInt8(truncatingIfNeeded: index)
            bytes[9] = UInt8(truncatingIfNeeded: index >> 8)
            bytes[10] = UInt8(truncatingIfNeeded: index >> 16)
            router.sent(bytes, to: Self.address(40_001), by: 1, at: .seconds(1))
        }
        func response(to index: Int) -> [UInt8] {
            var bytes = Self.response()
            bytes[8] = UInt8(truncatingIfNeeded: index)
            bytes[9] = UInt8(truncatingIfNeeded: index >> 8)
            bytes[10] = UInt8(truncatingIfNeeded: index >> 16)
            return bytes
        }
        #expect(router.route(response(to: 0), from: Self.address(40_001)) == .drop(.unknownTransaction))
        #expect(router.route(response(to: limit + 99), from: Self.address(40_001)) == .connection(1))
        let later = Timestamp.seconds(1) + SharedSocketRouter<Int>.transactionLifetime + .seconds(1)
        router.sent(Self.request(ufrag: "peer", transaction: 0xEE), to: Self.address(40_001), by: 1, at: later)
        #expect(router.route(response(to: limit + 99), from: Self.address(40_001)) == .drop(.unknownTransaction))
        #expect(router.route(Self.response(transaction: 0xEE), from: Self.address(40_001)) == .connection(1))
    }

    @Test func aSTUNMessageWhoseAttributesOverrunItIsDropped() {
        var router = SharedSocketRouter<Int>()
        _ = router.add(1, localUfrag: "aaaa")
        var bytes = Self.request(ufrag: "aaaa")
        // USERNAME is the first attribute: claim it runs far past the message.
        bytes[22] = 0x0F
        bytes[23] = 0xFF
        #expect(router.route(bytes, from: Self.address(40_001)) == .drop(.malformedSTUN))
        #expect(router.route(Array(bytes.prefix(20)), from: Self.address(40_001)) == .drop(.malformedSTUN))
    }

    /// Two of our connections on one address, each with its own peer, on virtual time: both connect, and each
    /// peer's media reaches only its own connection.
    @Test func twoConnectionsOnOneSocketEachConnectToTheirOwnPeer() throws {
        let certificate = try DTLSCertificate()
        let now = Timestamp.seconds(1)
        // Ours: one answering peer 1's offer, one offering to peer 2 (as the bot does for later joiners).
        let peerOne = PeerConnection(offeringWith: .init(certificate: try DTLSCertificate(), localAddress: Self.address(40_001),
                                                         cname: "one", sendsMedia: true), at: now)
        let ours1 = try PeerConnection(answering: peerOne.localDescription, configuration: .init(
            certificate: certificate, localAddress: Self.shared, cname: "bot", sendsMedia: false), at: now)
        try peerOne.applyAnswer(ours1.localDescription, at: now)
        let ours2 = PeerConnection(offeringWith: .init(certificate: certificate, localAddress: Self.shared, cname: "bot",
                                                       sendsMedia: false), at: now)
        let peerTwo = try PeerConnection(answering: ours2.localDescription, configuration: .init(
            certificate: try DTLSCertificate(), localAddress: Self.address(40_002), cname: "two", sendsMedia: true), at: now)
        try ours2.applyAnswer(peerTwo.localDescription, at: now)

        var router = SharedSocketRouter<Int>()
        let added = router.add(1, localUfrag: ours1.localICEUfrag) && router.add(2, localUfrag: ours2.localICEUfrag)
        #expect(added)
        let ours = [1: ours1, 2: ours2]
        let peers: [(connection: PeerConnection, address: TransportAddress)] = [(peerOne, Self.address(40_001)), (peerTwo, Self.address(40_002))]
        var events: [Int: [PeerEvent]] = [1: [], 2: []]
        var time = now
        var framesSent = 0
        while time < now + .seconds(10) {
            var moved = false
            for (id, connection) in ours {
                while case .transmit(let bytes, let destination) = connection.pollOutputSkippingEvents(into: &events[id, default: []]) {
                    router.sent(bytes, to: destination, by: id, at: time)
                    peers.first { $0.address == destination }?.connection.handleDatagram(bytes, from: Self.shared, at: time)
                    moved = true
                }
            }
            for peer in peers {
                var ignored: [PeerEvent] = []
                while case .transmit(let bytes, let destination) = peer.connection.pollOutputSkippingEvents(into: &ignored) {
                    #expect(destination == Self.shared)
                    if case .connection(let id) = router.route(bytes, from: peer.address) {
                        ours[id]?.handleDatagram(bytes, from: peer.address, at: time)
                    }
                    moved = true
                }
            }
            if !moved {
                time = time + .milliseconds(5)
                for connection in ours.values { connection.handleTimeout(at: time) }
                for peer in peers { peer.connection.handleTimeout(at: time) }
                if events[1]!.connected && events[2]!.connected && framesSent < 20 {
                    // Each peer sends media of its own; the SSRCs tell whose arrived where.
                    let keyframe: [UInt8] = [0x50, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01]
                        + [UInt8](repeating: 7, count: 300)
                    for peer in peers {
                        peer.connection.sendFrame(keyframe, kind: .video, rtpTimestamp: UInt32(framesSent * 3000), at: time)
                    }
                    framesSent += 1
                }
            }
        }
        #expect(events[1]!.connected && events[2]!.connected)
        let received1 = events[1]!.rtpCount, received2 = events[2]!.rtpCount
        #expect(received1 > 0 && received2 > 0, "\(received1) \(received2)")
        #expect(router.drops.isEmpty, "\(router.drops)")
        #expect(router.connection(at: Self.address(40_001)) == 1 && router.connection(at: Self.address(40_002)) == 2)
    }
}

extension PeerConnection {
    /// The next transmit, with the events before it appended to `events`; `.timeout` when there is none.
    func pollOutputSkippingEvents(into events: inout [PeerEvent]) -> PeerOutput {
        while true {
            let output = pollOutput()
            if case .event(let event) = output {
                events.append(event)
                continue
            }
            return output
        }
    }
}

extension [PeerEvent] {
    var rtpCount: Int { filter { if case .rtp = $0 { return true } else { return false } }.count }
}
