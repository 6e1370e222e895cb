import Mesh

/// The room URL as the operator types it or the service's API caller sends it (`room_url`). What parses must
/// be fit for the WebSocket upgrade request (a port in range, a target starting with `/` of printable ASCII,
/// a host of name characters or an IPv6 literal) and read back the same from the URL it writes (`description`).
enum RoomURLTarget {
    static let target = FuzzTarget(name: "room-url", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        guard let url = try? RoomURL(parsing: String(decoding: bytes, as: UTF8.self)) else { return }
        RoundTrip.require((1...65_535).contains(url.port), "room-url: port \(url.port)")
        RoundTrip.require(url.target.hasPrefix("/") && url.target.utf8.allSatisfy { (0x21...0x7E).contains($0) },
                          "room-url: target \(url.target.debugDescription)")
        RoundTrip.require(!url.host.isEmpty && url.host.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x2F },
                          "room-url: host \(url.host.debugDescription)")
        RoundTrip.require(!url.hostHeader.contains(where: \.isWhitespace), "room-url: Host header \(url.hostHeader)")
        RoundTrip.require(url, try? RoomURL(parsing: url.description), "room-url")
        _ = url.roomName
    }

    static func seeds() -> [[UInt8]] {
        [
            "https://rooms.example/standup", "ws://127.0.0.1:8000/ws/room/a/?token=x#frag", "wss://[::1]:9000",
            "http://[fe80::1%25eth0]/r", "WSS://Meet.Example:443/räume/1", "ws://h?x=1",
        ].map { Array($0.utf8) }
    }
}
