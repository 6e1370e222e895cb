/// One `m=` section: `m=<kind> <port>[/<count>] <proto> <format>...`, its `c=` line and attributes.
public struct MediaDescription: SDPAttributeContainer, Sendable, Hashable {
    public var kind: MediaKind
    /// 0 marks a rejected (or bundle-only) section.
    public var port: UInt16
    public var portCount: Int?
    public var proto: String
    /// Payload types for RTP ("111"), the association name for data channels ("webrtc-datachannel").
    public var formats: [String]
    /// The `c=` value, e.g. "IN IP4 127.0.0.1".
    public var connection: String?
    /// `i=`, `b=` and `k=` lines, kept in order and written back before `c=`'s attributes.
    public var otherLines: [SDPLine]
    public var attributes: [SDPAttribute]

    public init(
        kind: MediaKind, port: UInt16, portCount: Int? = nil, proto: String, formats: [String],
        connection: String? = nil, otherLines: [SDPLine] = [], attributes: [SDPAttribute] = []
    ) {
        self.kind = kind
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.otherLines = otherLines
        self.attributes = attributes
    }

    public var mid: String? { value("mid").map { String(Substring($0).sdpTrimmed) } }
    public var isRejected: Bool { port == 0 }
    public var rtcpMux: Bool { hasAttribute("rtcp-mux") }
    public var rtcpReducedSize: Bool { hasAttribute("rtcp-rsize") }

    /// Formats as RTP payload types, skipping any that are not numbers (non-RTP protocols).
    /// A payload type listed twice counts once (so there are at most 128).
    public var payloadTypes: [UInt8] {
        var seen: Set<UInt8> = []
        return formats.compactMap { sdpPayloadType(Substring($0)) }.filter { seen.insert($0).inserted }
    }

    public var rtpMaps: [RTPMap] { values("rtpmap").compactMap { try? RTPMap(sdpValue: Substring($0)) } }

    public func rtpMap(for payloadType: UInt8) -> RTPMap? {
        rtpMaps.first { $0.payloadType == payloadType }
    }

    /// Each payload type's first `a=rtpmap`, read once: looking one up per payload type re-read them all.
    public var rtpMapsByPayloadType: [UInt8: RTPMap] {
        Dictionary(rtpMaps.map { ($0.payloadType, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var formatParameters: [FormatParameters] {
        values("fmtp").compactMap { try? FormatParameters(sdpValue: Substring($0)) }
    }

    public func formatParameters(for payloadType: UInt8) -> FormatParameters? {
        formatParameters.first { $0.payloadType == payloadType }
    }

    /// Each payload type's first `a=fmtp`, read once.
    public var formatParametersByPayloadType: [UInt8: FormatParameters] {
        Dictionary(formatParameters.map { ($0.payloadType, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var rtcpFeedback: [RTCPFeedback] {
        values("rtcp-fb").compactMap { try? RTCPFeedback(sdpValue: Substring($0)) }
    }

    /// Feedback for one payload type, including `*` entries.
    public func rtcpFeedback(for payloadType: UInt8) -> [RTCPFeedback] {
        rtcpFeedback.filter { $0.payloadType == nil || $0.payloadType == payloadType }
    }

    public var ssrcAttributes: [SSRCAttribute] {
        values("ssrc").compactMap { try? SSRCAttribute(sdpValue: Substring($0)) }
    }

    public var ssrcGroups: [SSRCGroup] {
        values("ssrc-group").compactMap { try? SSRCGroup(sdpValue: Substring($0)) }
    }

    /// SSRCs in order of first appearance, each with its cname and msid if signalled.
    public var ssrcs: [SSRCDescription] {
        var result: [SSRCDescription] = []
        // Found by dictionary: an offer may hold thousands of a=ssrc lines.
        var indices: [UInt32: Int] = [:]
        for attribute in ssrcAttributes {
            let index: Int
            if let existing = indices[attribute.ssrc] {
                index = existing
            } else {
                result.append(SSRCDescription(ssrc: attribute.ssrc))
                index = result.count - 1
                indices[attribute.ssrc] = index
            }
            switch attribute.name {
            case "cname": result[index].cname = attribute.value
            case "msid": result[index].msid = attribute.value.flatMap { try? MediaStreamID(sdpValue: Substring($0)) }
            default: break
            }
        }
        return result
    }

    public var msid: MediaStreamID? { value("msid").flatMap { try? MediaStreamID(sdpValue: Substring($0)) } }

    /// RFC 8841 `a=sctp-port`.
    public var sctpPort: UInt16? { value("sctp-port").flatMap { sdpDecimal(Substring($0).sdpTrimmed, as: UInt16.self) } }

    /// RFC 8841 `a=max-message-size`; 0 means "no limit".
    public var maxMessageSize: UInt64? {
        value("max-message-size").flatMap { sdpDecimal(Substring($0).sdpTrimmed, as: UInt64.self) }
    }
}

/// What `a=ssrc` lines say about one SSRC.
public struct SSRCDescription: Sendable, Hashable {
    public var ssrc: UInt32
    public var cname: String?
    public var msid: MediaStreamID?

    public init(ssrc: UInt32, cname: String? = nil, msid: MediaStreamID? = nil) {
        self.ssrc = ssrc
        self.cname = cname
        self.msid = msid
    }
}

/// A non-attribute line kept verbatim: its type letter and the text after `=`.
public struct SDPLine: Sendable, Hashable {
    public var type: Character
    public var value: String

    public init(_ type: Character, _ value: String) {
        self.type = type
        self.value = value
    }
}
