// Typed views of the attribute values WebRTC negotiation reads. Each parses the text after
// "a=<name>:" and can render itself back; the attribute list keeps the original text, so a
// parsed description serialises exactly as received.

/// RFC 8866 §6.7 media direction.
public enum MediaDirection: String, Sendable, Hashable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    /// The direction as seen from the other end of the connection.
    public var reversed: MediaDirection {
        switch self {
        case .sendrecv: .sendrecv
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .inactive: .inactive
        }
    }

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }
}

/// RFC 8842 `a=setup`: who starts the DTLS handshake (`active` is the DTLS client).
public enum DTLSSetup: String, Sendable, Hashable, CaseIterable {
    case actpass, active, passive, holdconn
}

public enum MediaKind: Sendable, Hashable, CustomStringConvertible {
    case audio, video, application
    case other(String)

    public init(_ text: Substring) {
        switch text {
        case "audio": self = .audio
        case "video": self = .video
        case "application": self = .application
        default: self = .other(String(text))
        }
    }

    public var description: String {
        switch self {
        case .audio: "audio"
        case .video: "video"
        case .application: "application"
        case .other(let name): name
        }
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`
public struct RTPMap: Sendable, Hashable {
    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: UInt32
    public var channels: Int?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, channels: Int? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    public init(sdpValue: Substring) throws {
        let fields = sdpValue.sdpFields
        guard fields.count == 2, let pt = sdpPayloadType(fields[0]) else {
            throw ParseError("rtpmap: expected '<payload type> <encoding>/<clock rate>', got \(sdpQuoted(sdpValue))")
        }
        let parts = fields[1].split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty,
              let rate = sdpDecimal(parts[1], as: UInt32.self), rate > 0
        else {
            throw ParseError("rtpmap: bad encoding '<name>/<clock rate>[/<channels>]' in \(sdpQuoted(sdpValue))")
        }
        var channels: Int?
        if parts.count == 3 {
            guard let count = sdpDecimal(parts[2], as: Int.self), count > 0, count <= 255 else {
                throw ParseError("rtpmap: bad channel count in \(sdpQuoted(sdpValue))")
            }
            channels = count
        }
        self.init(payloadType: pt, encodingName: String(parts[0]), clockRate: rate, channels: channels)
    }

    public var sdpValue: String {
        "\(payloadType) \(encodingName)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }
}

/// One `name=value` item of an fmtp line; items without `=` (RED's "111/111") have a nil value.
public struct FormatParameter: Sendable, Hashable {
    public var name: String
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// `a=fmtp:<pt> <parameters>`
public struct FormatParameters: Sendable, Hashable {
    public var payloadType: UInt8
    public var parameters: [FormatParameter]

    public init(payloadType: UInt8, parameters: [FormatParameter]) {
        self.payloadType = payloadType
        self.parameters = parameters
    }

    public init(sdpValue: Substring) throws {
        let (ptText, rest) = sdpValue.sdpTrimmed.splitOnce(" ")
        guard let pt = sdpPayloadType(ptText) else {
            throw ParseError("fmtp: expected '<payload type> <parameters>', got \(sdpQuoted(sdpValue))")
        }
        let items = (rest ?? "").split(separator: ";").map { $0.sdpTrimmed }.filter { !$0.isEmpty }
        self.init(payloadType: pt, parameters: items.map { item in
            let (name, value) = item.splitOnce("=")
            return FormatParameter(String(name.sdpTrimmed), value.map { String($0.sdpTrimmed) })
        })
    }

    public subscript(name: String) -> String? {
        parameters.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// RFC 4588: the payload type an RTX format retransmits.
    public var associatedPayloadType: UInt8? {
        self["apt"].flatMap { sdpPayloadType(Substring($0)) }
    }

    public var sdpValue: String {
        "\(payloadType) " + parameters.map { p in p.value.map { "\(p.name)=\($0)" } ?? p.name }.joined(separator: ";")
    }
}

/// `a=rtcp-fb:<pt or *> <type> [<parameter>]` (RFC 4585 §4.2).
public struct RTCPFeedback: Sendable, Hashable, CustomStringConvertible {
    /// nil means `*`: the feedback applies to every payload type of the m-line.
    public var payloadType: UInt8?
    public var type: String
    public var parameter: String?

    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    public init(sdpValue: Substring) throws {
        let fields = sdpValue.sdpFields
        guard fields.count >= 2 else {
            throw ParseError("rtcp-fb: expected '<payload type> <type> [<parameter>]', got \(sdpQuoted(sdpValue))")
        }
        var pt: UInt8?
        if fields[0] != "*" {
            guard let value = sdpPayloadType(fields[0]) else {
                throw ParseError("rtcp-fb: bad payload type in \(sdpQuoted(sdpValue))")
            }
            pt = value
        }
        self.init(
            payloadType: pt, type: String(fields[1]),
            parameter: fields.count > 2 ? fields[2...].joined(separator: " ") : nil)
    }

    /// "nack", "nack pli", "ccm fir": the part that names what is being fed back.
    public var description: String { parameter.map { "\(type) \($0)" } ?? type }

    public var sdpValue: String { (payloadType.map(String.init) ?? "*") + " " + description }
}

/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285).
public struct ExtMap: Sendable, Hashable {
    public var id: UInt8
    public var direction: MediaDirection?
    public var uri: String
    public var attributes: String?

    public init(id: UInt8, uri: String, direction: MediaDirection? = nil, attributes: String? = nil) {
        self.id = id
        self.uri = uri
        self.direction = direction
        self.attributes = attributes
    }

    public init(sdpValue: Substring) throws {
        let fields = sdpValue.sdpFields
        guard fields.count >= 2 else {
            throw ParseError("extmap: expected '<id>[/<direction>] <uri>', got \(sdpQuoted(sdpValue))")
        }
        let (idText, directionText) = fields[0].splitOnce("/")
        // RFC 8285: 1-14 for one-byte headers, up to 255 with two-byte headers; 0 and 15 are reserved.
        guard let id = sdpDecimal(idText, as: UInt8.self), id >= 1, id != 15 else {
            throw ParseError("extmap: id must be 1-14 or 16-255 in \(sdpQuoted(sdpValue))")
        }
        var direction: MediaDirection?
        if let directionText {
            guard let value = MediaDirection(rawValue: String(directionText)) else {
                throw ParseError("extmap: unknown direction in \(sdpQuoted(sdpValue))")
            }
            direction = value
        }
        self.init(
            id: id, uri: String(fields[1]), direction: direction,
            attributes: fields.count > 2 ? fields[2...].joined(separator: " ") : nil)
    }

    public var sdpValue: String {
        "\(id)" + (direction.map { "/\($0.rawValue)" } ?? "") + " \(uri)" + (attributes.map { " \($0)" } ?? "")
    }
}

/// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576).
public struct SSRCAttribute: Sendable, Hashable {
    public var ssrc: UInt32
    public var name: String
    public var value: String?

    public init(ssrc: UInt32, name: String, value: String? = nil) {
        self.ssrc = ssrc
        self.name = name
        self.value = value
    }

    public init(sdpValue: Substring) throws {
        let (ssrcText, rest) = sdpValue.sdpTrimmed.splitOnce(" ")
        guard let ssrc = sdpDecimal(ssrcText, as: UInt32.self), let rest, !rest.sdpTrimmed.isEmpty else {
            throw ParseError("ssrc: expected '<ssrc> <attribute>[:<value>]', got \(sdpQuoted(sdpValue))")
        }
        let (name, value) = rest.sdpTrimmed.splitOnce(":")
        self.init(ssrc: ssrc, name: String(name), value: value.map(String.init))
    }

    public var sdpValue: String { "\(ssrc) \(name)" + (value.map { ":\($0)" } ?? "") }
}

/// `a=ssrc-group:<semantics> <ssrc>...`; for `FID` the first is the media SSRC, the second its RTX.
public struct SSRCGroup: Sendable, Hashable {
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    public init(sdpValue: Substring) throws {
        let fields = sdpValue.sdpFields
        guard fields.count >= 2 else {
            throw ParseError("ssrc-group: expected '<semantics> <ssrc>...', got \(sdpQuoted(sdpValue))")
        }
        var ssrcs: [UInt32] = []
        for field in fields.dropFirst() {
            guard let ssrc = sdpDecimal(field, as: UInt32.self) else {
                throw ParseError("ssrc-group: bad SSRC \(sdpQuoted(field))")
            }
            ssrcs.append(ssrc)
        }
        self.init(semantics: String(fields[0]), ssrcs: ssrcs)
    }

    public var sdpValue: String { ([semantics] + ssrcs.map(String.init)).joined(separator: " ") }
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830); also the value of `a=ssrc:<n> msid:`.
public struct MediaStreamID: Sendable, Hashable {
    public var streamId: String
    public var trackId: String?

    public init(streamId: String, trackId: String? = nil) {
        self.streamId = streamId
        self.trackId = trackId
    }

    public init(sdpValue: Substring) throws {
        let fields = sdpValue.sdpFields
        guard fields.count == 1 || fields.count == 2 else {
            throw ParseError("msid: expected '<stream id> [<track id>]', got \(sdpQuoted(sdpValue))")
        }
        self.init(streamId: String(fields[0]), trackId: fields.count == 2 ? String(fields[1]) : nil)
    }

    public var sdpValue: String { streamId + (trackId.map { " \($0)" } ?? "") }
}

/// `a=group:<semantics> <mid>...` (RFC 5888), e.g. `BUNDLE 0 1 2`.
public struct MediaGroup: Sendable, Hashable {
    public var semantics: String
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    public init(sdpValue: Substring) throws {
        let fields = sdpValue.sdpFields
        guard let semantics = fields.first else {
            throw ParseError("group: expected '<semantics> <mid>...', got \(sdpQuoted(sdpValue))")
        }
        self.init(semantics: String(semantics), mids: fields.dropFirst().map(String.init))
    }

    public var sdpValue: String { ([semantics] + mids).joined(separator: " ") }
}

/// RTP payload types are 7 bits (RFC 3550 §5.1).
func sdpPayloadType(_ text: Substring) -> UInt8? {
    guard let value = sdpDecimal(text, as: UInt8.self), value <= 127 else { return nil }
    return value
}
