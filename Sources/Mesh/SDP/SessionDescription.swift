/// An SDP session description (RFC 8866) as WebRTC uses it (JSEP, RFC 8829).
///
/// Parsing keeps every line, known or not, in order within its level; serialising writes CRLF
/// line ends and the RFC 8866 line order, so `SessionDescription(parsing: d.serialized())`
/// gives back `d`. Values read by negotiation are validated while parsing, so a description
/// that parses can be negotiated without further format checks.
public struct SessionDescription: SDPAttributeContainer, Sendable, Hashable {
    public var origin: SDPOrigin
    public var sessionName: String
    /// The `t=` value; WebRTC always says "0 0".
    public var timing: String
    /// A session-level `c=` value, inherited by media sections without their own.
    public var connection: String?
    /// Other session-level lines (`i= u= e= p= b= r= z= k=`, unknown types), in order.
    public var otherLines: [SDPLine]
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]

    /// Bounds on untrusted input from signalling. A Chromium offer with many candidates is ~10 KiB.
    public static let maximumLength = 256 * 1024
    public static let maximumLineCount = 4096

    public init(
        origin: SDPOrigin, sessionName: String = "-", timing: String = "0 0", connection: String? = nil,
        otherLines: [SDPLine] = [], attributes: [SDPAttribute] = [], media: [MediaDescription] = []
    ) {
        self.origin = origin
        self.sessionName = sessionName
        self.timing = timing
        self.connection = connection
        self.otherLines = otherLines
        self.attributes = attributes
        self.media = media
    }

    // MARK: Session-level accessors

    public var groups: [MediaGroup] { values("group").compactMap { try? MediaGroup(sdpValue: Substring($0)) } }

    /// The mids of the first BUNDLE group (JSEP puts all bundled sections in one).
    public var bundleMids: [String]? { groups.first { $0.semantics == "BUNDLE" }?.mids }

    public func media(withMid mid: String) -> MediaDescription? {
        media.first { $0.mid == mid }
    }

    // MARK: Values a media section inherits from the session level (RFC 8839 §5.4, RFC 8122 §5)

    public func iceUfrag(for media: MediaDescription) -> String? { media.iceUfrag ?? iceUfrag }
    public func icePwd(for media: MediaDescription) -> String? { media.icePwd ?? icePwd }
    public func iceOptions(for media: MediaDescription) -> [String] {
        media.hasAttribute("ice-options") ? media.iceOptions : iceOptions
    }
    public func fingerprints(for media: MediaDescription) -> [String] {
        media.hasAttribute("fingerprint") ? media.fingerprints : fingerprints
    }
    public func fingerprint(for media: MediaDescription) -> String? {
        media.hasAttribute("fingerprint") ? media.fingerprint : fingerprint
    }
    public func setup(for media: MediaDescription) -> DTLSSetup? { media.setup ?? setup }
    public func direction(for media: MediaDescription) -> MediaDirection {
        media.direction ?? direction ?? .sendrecv
    }
    public func connection(for media: MediaDescription) -> String? { media.connection ?? connection }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
public struct SDPOrigin: Sendable, Hashable {
    public var username: String
    /// Decimal digits; kept as text because RFC 8866 does not bound their length.
    public var sessionId: String
    public var sessionVersion: String
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(
        username: String = "-", sessionId: String, sessionVersion: String, networkType: String = "IN",
        addressType: String = "IP4", address: String = "127.0.0.1"
    ) {
        self.username = username
        self.sessionId = sessionId
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init(sdpValue: Substring) throws {
        let fields = sdpValue.sdpFields
        guard fields.count == 6 else {
            throw ParseError("o= needs 6 fields '<username> <sess-id> <sess-version> IN IP4 <address>', got \(sdpQuoted(sdpValue))")
        }
        guard Self.isDigits(fields[1]), Self.isDigits(fields[2]) else {
            throw ParseError("o= session id and version must be decimal numbers, got \(sdpQuoted(sdpValue))")
        }
        self.init(
            username: String(fields[0]), sessionId: String(fields[1]), sessionVersion: String(fields[2]),
            networkType: String(fields[3]), addressType: String(fields[4]), address: String(fields[5]))
    }

    private static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    public var sdpValue: String {
        [username, sessionId, sessionVersion, networkType, addressType, address].joined(separator: " ")
    }
}

// MARK: - Parsing

extension SessionDescription {
    public init(parsing text: String) throws {
        guard text.utf8.count <= Self.maximumLength else {
            throw ParseError("SDP is \(text.utf8.count) bytes, more than the \(Self.maximumLength) accepted")
        }
        // Split on scalars, not Characters: "\r\n" is a single Character in Swift.
        var lines: [Substring] = []
        for rawLine in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = rawLine
            if line.last == "\r" { line.removeLast() }
            if line.isEmpty { continue }
            guard lines.count < Self.maximumLineCount else {
                throw ParseError("SDP has more than \(Self.maximumLineCount) lines")
            }
            lines.append(Substring(line))
        }
        var parser = SDPParser()
        for (index, line) in lines.enumerated() {
            do {
                try parser.consume(line)
            } catch let error as ParseError {
                throw ParseError("SDP line \(index + 1): \(error.message)")
            }
        }
        self = try parser.finish()
    }
}

private struct SDPParser {
    private var sawVersion = false
    private var origin: SDPOrigin?
    private var sessionName: String?
    private var timing: String?
    private var connection: String?
    private var otherLines: [SDPLine] = []
    private var attributes: [SDPAttribute] = []
    private var media: [MediaDescription] = []
    private var mids: Set<String> = []

    mutating func consume(_ line: Substring) throws {
        let scalars = line.unicodeScalars
        guard scalars.count >= 2, let type = scalars.first,
              (type.value >= 0x61 && type.value <= 0x7a),
              scalars[scalars.index(after: scalars.startIndex)] == "="
        else {
            throw ParseError("expected '<letter>=<value>', got \(sdpQuoted(line))")
        }
        let value = line.dropFirst(2)
        let letter = Character(type)

        guard sawVersion else {
            guard letter == "v" else { throw ParseError("SDP must start with 'v=0', got \(sdpQuoted(line))") }
            guard value == "0" else { throw ParseError("unsupported SDP version \(sdpQuoted(value)), expected 0") }
            sawVersion = true
            return
        }

        switch letter {
        case "v":
            throw ParseError("duplicate v= line")
        case "m":
            guard origin != nil, sessionName != nil, timing != nil else {
                throw ParseError("m= line before the session's o=, s= and t= lines")
            }
            media.append(try Self.parseMediaLine(value))
        case "a":
            let attribute = try Self.parseAttribute(value)
            if media.isEmpty {
                attributes.append(attribute)
            } else {
                if attribute.name == "mid", let mid = attribute.value {
                    guard mids.insert(mid).inserted else { throw ParseError("duplicate mid \(sdpQuoted(Substring(mid)))") }
                }
                media[media.count - 1].attributes.append(attribute)
            }
        case "c":
            if media.isEmpty {
                guard connection == nil else { throw ParseError("duplicate session-level c= line") }
                connection = String(value)
            } else {
                guard media[media.count - 1].connection == nil else { throw ParseError("duplicate c= line in m= section") }
                media[media.count - 1].connection = String(value)
            }
        case "o" where media.isEmpty:
            guard origin == nil else { throw ParseError("duplicate o= line") }
            origin = try SDPOrigin(sdpValue: value)
        case "s" where media.isEmpty:
            guard sessionName == nil else { throw ParseError("duplicate s= line") }
            sessionName = String(value)
        case "t" where media.isEmpty:
            guard origin != nil, sessionName != nil else { throw ParseError("t= line before o= and s=") }
            // Repeated t= lines are legal (several active periods); only the first is typed.
            if timing == nil { timing = String(value) } else { otherLines.append(SDPLine(letter, String(value))) }
        case "o", "s", "t":
            throw ParseError("\(letter)= line inside an m= section")
        default:
            if media.isEmpty {
                otherLines.append(SDPLine(letter, String(value)))
            } else {
                media[media.count - 1].otherLines.append(SDPLine(letter, String(value)))
            }
        }
    }

    func finish() throws -> SessionDescription {
        guard sawVersion else { throw ParseError("SDP is empty: no 'v=0' line") }
        guard let origin else { throw ParseError("SDP has no o= line") }
        guard let sessionName else { throw ParseError("SDP has no s= line") }
        guard let timing else { throw ParseError("SDP has no t= line") }
        return SessionDescription(
            origin: origin, sessionName: sessionName, timing: timing, connection: connection,
            otherLines: otherLines, attributes: attributes, media: media)
    }

    private static func parseMediaLine(_ value: Substring) throws -> MediaDescription {
        let fields = value.sdpFields
        guard fields.count >= 3 else {
            throw ParseError("m= needs '<media> <port> <proto> <format>...', got \(sdpQuoted(value))")
        }
        let (portText, countText) = fields[1].splitOnce("/")
        guard let port = sdpDecimal(portText, as: UInt16.self) else {
            throw ParseError("m= port must be a number 0-65535, got \(sdpQuoted(fields[1]))")
        }
        var portCount: Int?
        if let countText {
            guard let count = sdpDecimal(countText, as: Int.self), count > 0, count <= 65535 else {
                throw ParseError("m= port count must be a positive number, got \(sdpQuoted(fields[1]))")
            }
            portCount = count
        }
        return MediaDescription(
            kind: MediaKind(fields[0]), port: port, portCount: portCount, proto: String(fields[2]),
            formats: fields.dropFirst(3).map(String.init))
    }

    private static func parseAttribute(_ value: Substring) throws -> SDPAttribute {
        let (name, attributeValue) = value.splitOnce(":")
        guard !name.isEmpty, !name.contains(" ") else {
            throw ParseError("attribute needs a name, got \(sdpQuoted(value))")
        }
        try validate(name: name, value: attributeValue)
        return SDPAttribute(String(name), attributeValue.map(String.init))
    }

    /// Rejects malformed values of the attributes negotiation reads, so their accessors never see one.
    private static func validate(name: Substring, value: Substring?) throws {
        func required() throws -> Substring {
            guard let value, !value.sdpTrimmed.isEmpty else { throw ParseError("a=\(name) needs a value") }
            return value
        }
        switch name {
        case "rtpmap": _ = try RTPMap(sdpValue: try required())
        case "fmtp": _ = try FormatParameters(sdpValue: try required())
        case "rtcp-fb": _ = try RTCPFeedback(sdpValue: try required())
        case "extmap": _ = try ExtMap(sdpValue: try required())
        case "ssrc": _ = try SSRCAttribute(sdpValue: try required())
        case "ssrc-group": _ = try SSRCGroup(sdpValue: try required())
        case "msid": _ = try MediaStreamID(sdpValue: try required())
        case "group": _ = try MediaGroup(sdpValue: try required())
        case "mid", "ice-ufrag", "ice-pwd", "candidate": _ = try required()
        case "setup":
            guard DTLSSetup(rawValue: String(try required().sdpTrimmed)) != nil else {
                throw ParseError("a=setup must be actpass, active, passive or holdconn, got \(sdpQuoted(value ?? ""))")
            }
        case "fingerprint":
            guard try required().sdpFields.count == 2 else {
                throw ParseError("a=fingerprint needs '<hash> <hex bytes>', got \(sdpQuoted(value ?? ""))")
            }
        case "sctp-port":
            guard sdpDecimal(try required().sdpTrimmed, as: UInt16.self) != nil else {
                throw ParseError("a=sctp-port must be a number 0-65535, got \(sdpQuoted(value ?? ""))")
            }
        case "max-message-size":
            guard sdpDecimal(try required().sdpTrimmed, as: UInt64.self) != nil else {
                throw ParseError("a=max-message-size must be a number, got \(sdpQuoted(value ?? ""))")
            }
        default: break
        }
    }
}

// MARK: - Serialising

extension SessionDescription {
    /// The description as text with CRLF line ends, including after the last line.
    public func serialized() -> String {
        var out = ""
        func line(_ type: Character, _ value: String) {
            out.append(type)
            out.append("=")
            out.append(value)
            out.append("\r\n")
        }
        line("v", "0")
        line("o", origin.sdpValue)
        line("s", sessionName)
        for other in otherLines where "iuep".contains(other.type) { line(other.type, other.value) }
        if let connection { line("c", connection) }
        for other in otherLines where other.type == "b" { line(other.type, other.value) }
        line("t", timing)
        for other in otherLines where !"iuepb".contains(other.type) { line(other.type, other.value) }
        for attribute in attributes { out.append(attribute.sdpLine + "\r\n") }
        for section in media {
            let port = "\(section.port)" + (section.portCount.map { "/\($0)" } ?? "")
            line("m", ([section.kind.description, port, section.proto] + section.formats).joined(separator: " "))
            for other in section.otherLines where other.type == "i" { line(other.type, other.value) }
            if let connection = section.connection { line("c", connection) }
            for other in section.otherLines where other.type != "i" { line(other.type, other.value) }
            for attribute in section.attributes { out.append(attribute.sdpLine + "\r\n") }
        }
        return out
    }
}
