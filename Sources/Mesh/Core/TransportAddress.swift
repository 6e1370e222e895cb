/// An IP address and UDP port, independent of any socket library.
public struct TransportAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable { case ipv4, ipv6 }

    /// Network-order address bytes: 4 for IPv4, 16 for IPv6.
    public let addressBytes: [UInt8]
    public let port: UInt16

    public init?(addressBytes: [UInt8], port: UInt16) {
        guard addressBytes.count == 4 || addressBytes.count == 16 else { return nil }
        self.addressBytes = addressBytes
        self.port = port
    }

    /// Parses a literal IPv4 (`127.0.0.1`) or IPv6 (`::1`) address; names are not resolved here.
    public init?(host: String, port: UInt16) {
        if let v4 = TransportAddress.parseIPv4(host) {
            self.addressBytes = v4
        } else if let v6 = TransportAddress.parseIPv6(host) {
            self.addressBytes = v6
        } else {
            return nil
        }
        self.port = port
    }

    public var family: Family { addressBytes.count == 4 ? .ipv4 : .ipv6 }

    public var host: String {
        if family == .ipv4 { return addressBytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for index in stride(from: 0, to: 16, by: 2) {
            let value = UInt16(addressBytes[index]) << 8 | UInt16(addressBytes[index + 1])
            groups.append(String(value, radix: 16))
        }
        return groups.joined(separator: ":")
    }

    public var description: String { family == .ipv4 ? "\(host):\(port)" : "[\(host)]:\(port)" }

    static func parseIPv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        var body = Substring(text)
        if let percent = body.firstIndex(of: "%") { body = body[..<percent] }
        var halves: [String] = []
        if let range = body.firstRange(of: "::") {
            halves = [String(body[..<range.lowerBound]), String(body[range.upperBound...])]
            guard !halves[1].contains("::") else { return nil }
        } else {
            halves = [String(body)]
        }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, let value = UInt16(group, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        let tail = halves.count == 2 ? groups(halves[1]) : []
        guard let tail else { return nil }
        let missing = 8 - head.count - tail.count
        if halves.count == 2 { guard missing >= 1 else { return nil } } else { guard missing == 0 else { return nil } }
        let all = head + Array(repeating: 0, count: max(missing, 0)) + tail
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}

/// One UDP datagram crossing the sans-IO boundary.
public struct Datagram: Sendable {
    public var bytes: [UInt8]
    public var source: TransportAddress
    public var destination: TransportAddress

    public init(bytes: [UInt8], source: TransportAddress, destination: TransportAddress) {
        self.bytes = bytes
        self.source = source
        self.destination = destination
    }
}
