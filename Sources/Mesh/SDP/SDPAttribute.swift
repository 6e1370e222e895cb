/// One `a=` line: `a=<name>` (a flag such as `rtcp-mux`) or `a=<name>:<value>`.
/// The value is kept verbatim (even a leading space, as in Chromium's `a=msid-semantic: WMS`)
/// so that unknown attributes and odd spellings survive a parse/serialise round trip.
public struct SDPAttribute: Sendable, Hashable {
    public var name: String
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }

    public var sdpLine: String { "a=" + name + (value.map { ":" + $0 } ?? "") }
}

/// The attribute list shared by the session and each media section, with typed accessors.
/// Accessors skip entries that fail to parse: `SessionDescription(parsing:)` has already rejected
/// malformed values of every attribute read here, so only hand-built descriptions can hold them.
public protocol SDPAttributeContainer {
    var attributes: [SDPAttribute] { get set }
}

extension SDPAttributeContainer {
    public func values(_ name: String) -> [String] {
        attributes.compactMap { $0.name == name ? ($0.value ?? "") : nil }
    }

    public func value(_ name: String) -> String? {
        attributes.first { $0.name == name }.map { $0.value ?? "" }
    }

    public func hasAttribute(_ name: String) -> Bool {
        attributes.contains { $0.name == name }
    }

    public mutating func append(_ name: String, _ value: String? = nil) {
        attributes.append(SDPAttribute(name, value))
    }

    public var iceUfrag: String? { value("ice-ufrag").map { String(Substring($0).sdpTrimmed) } }
    public var icePwd: String? { value("ice-pwd").map { String(Substring($0).sdpTrimmed) } }

    /// `a=ice-options:trickle ice2` → ["trickle", "ice2"], over all ice-options lines.
    public var iceOptions: [String] {
        values("ice-options").flatMap { Substring($0).sdpFields.map(String.init) }
    }

    /// Raw values such as "sha-256 AB:CD:..."; aiortc lists sha-256, sha-384 and sha-512.
    public var fingerprints: [String] { values("fingerprint").map { String(Substring($0).sdpTrimmed) } }

    /// The first sha-256 fingerprint (what every browser checks), else the first of any hash.
    public var fingerprint: String? {
        let all = fingerprints
        return all.first { $0.lowercased().hasPrefix("sha-256 ") } ?? all.first
    }

    public var setup: DTLSSetup? { value("setup").flatMap { DTLSSetup(rawValue: String(Substring($0).sdpTrimmed)) } }

    /// Raw values after "candidate:"; the ICE code parses them.
    public var candidates: [String] { values("candidate") }

    public var hasEndOfCandidates: Bool { hasAttribute("end-of-candidates") }

    /// The explicit direction attribute, if any (absent means sendrecv, RFC 8866 §6.7).
    public var direction: MediaDirection? {
        attributes.lazy.compactMap { MediaDirection(rawValue: $0.name) }.first
    }

    public var extMaps: [ExtMap] { values("extmap").compactMap { try? ExtMap(sdpValue: Substring($0)) } }
}
