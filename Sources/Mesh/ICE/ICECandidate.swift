/// One ICE candidate as carried in SDP (RFC 8839 §5.1):
///
///     candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
///               [raddr <address>] [rport <port>] *(<extension-name> <extension-value>)
///
/// Everything is kept, including candidates the agent cannot use (TCP, mDNS `.local` names),
/// so that formatting a parsed line gives it back.
public struct ICECandidate: Equatable, Sendable, CustomStringConvertible {
    /// The transport token; kept open because RFC 8839 lets new transports appear.
    public struct Transport: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        /// Tokens are case-insensitive (Firefox writes `UDP`); stored lowercase.
        public init(rawValue: String) { self.rawValue = rawValue.lowercased() }
        public static let udp = Transport(rawValue: "udp")
        public static let tcp = Transport(rawValue: "tcp")
    }

    public struct Kind: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let host = Kind(rawValue: "host")
        public static let serverReflexive = Kind(rawValue: "srflx")
        public static let peerReflexive = Kind(rawValue: "prflx")
        public static let relayed = Kind(rawValue: "relay")

        /// RFC 8445 §5.1.2.2's recommended type preferences.
        public var typePreference: UInt32 {
            switch self {
            case .host: 126
            case .peerReflexive: 110
            case .serverReflexive: 100
            default: 0
            }
        }
    }

    public struct Extension: Equatable, Sendable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var foundation: String
    public var component: UInt16
    public var transport: Transport
    public var priority: UInt32
    /// An IP literal or, for privacy-preserving browsers, an mDNS name ending in `.local`.
    public var address: String
    public var port: UInt16
    public var kind: Kind
    public var relatedAddress: String?
    public var relatedPort: UInt16?
    /// `generation`, `ufrag`, `network-id`, `network-cost`, `tcptype`, ... in their original order.
    public var extensions: [Extension]

    public init(
        foundation: String, component: UInt16 = 1, transport: Transport = .udp, priority: UInt32,
        address: String, port: UInt16, kind: Kind, relatedAddress: String? = nil, relatedPort: UInt16? = nil,
        extensions: [Extension] = []
    ) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.kind = kind
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.extensions = extensions
    }

    /// RFC 8445 §5.1.2.1: type preference dominates, then local preference, then component.
    public static func priority(kind: Kind, localPreference: UInt16 = 65535, component: UInt16 = 1) -> UInt32 {
        let componentPart = UInt32(256 - min(max(component, 1), 256))
        return kind.typePreference << 24 | UInt32(localPreference) << 8 | componentPart
    }

    // MARK: - Derived facts

    /// The address as a literal, or nil for an mDNS name (which this agent does not resolve).
    public var transportAddress: TransportAddress? { TransportAddress(host: address, port: port) }
    public var isMDNS: Bool { address.lowercased().hasSuffix(".local") }
    /// What the agent can check: UDP, RTP component (rtcp-mux), literal address.
    public var isUsable: Bool { transport == .udp && component == 1 && transportAddress != nil }

    public func extensionValue(_ name: String) -> String? { extensions.first { $0.name == name }?.value }
    public var generation: Int? { extensionValue("generation").flatMap { Int($0) } }
    public var ufrag: String? { extensionValue("ufrag") }
    public var tcpType: String? { extensionValue("tcptype") }

    // MARK: - SDP

    /// Parses the attribute value, with or without the `a=` and `candidate:` prefixes.
    public init(parsing line: some StringProtocol) throws {
        var text = Substring(line).trimmingPrefix("a=")
        if text.lowercased().hasPrefix("candidate:") { text = text.dropFirst("candidate:".count) }
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }).map(String.init)
        guard tokens.count >= 8 else { throw ParseError("candidate: \(tokens.count) fields, need 8") }
        guard !tokens[0].isEmpty, tokens[0].count <= 32 else { throw ParseError("candidate: foundation \(tokens[0])") }
        guard let component = UInt16(tokens[1]), (1...256).contains(component) else {
            throw ParseError("candidate: component \(tokens[1])")
        }
        guard let priority = UInt32(tokens[3]) else { throw ParseError("candidate: priority \(tokens[3])") }
        guard let port = UInt16(tokens[5]) else { throw ParseError("candidate: port \(tokens[5])") }
        guard tokens[6] == "typ" else { throw ParseError("candidate: expected typ, found \(tokens[6])") }

        self.init(
            foundation: tokens[0], component: component, transport: Transport(rawValue: tokens[2]),
            priority: priority, address: tokens[4], port: port, kind: Kind(rawValue: tokens[7]))

        var index = 8
        while index < tokens.count {
            guard index + 1 < tokens.count else { throw ParseError("candidate: \(tokens[index]) without a value") }
            let name = tokens[index]
            let value = tokens[index + 1]
            switch name {
            case "raddr":
                relatedAddress = value
            case "rport":
                guard let related = UInt16(value) else { throw ParseError("candidate: rport \(value)") }
                relatedPort = related
            default:
                extensions.append(Extension(name: name, value: value))
            }
            index += 2
        }
    }

    /// The value of an `a=candidate:` attribute (RFC 8839 §5.1): it starts at the foundation,
    /// the attribute's name and colon are the SDP line's.
    public var sdpValue: String {
        var fields = [
            foundation, String(component), transport.rawValue, String(priority),
            address, String(port), "typ", kind.rawValue,
        ]
        if let relatedAddress { fields += ["raddr", relatedAddress] }
        if let relatedPort { fields += ["rport", String(relatedPort)] }
        for item in extensions { fields += [item.name, item.value] }
        return fields.joined(separator: " ")
    }

    /// As a browser's `RTCIceCandidate.candidate` spells it: `candidate:` and the attribute value.
    public var description: String { "candidate:" + sdpValue }
}
