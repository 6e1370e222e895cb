/// One stream we send (the bot's own tile): its SSRC, the negotiated payload type, and RTP state.
struct OutgoingTrack: Sendable {
    let kind: MediaTrack.Kind
    let ssrc: UInt32
    /// Signalled with `a=ssrc-group:FID` (video only); used when the peer negotiated RTX for our codec.
    let rtxSSRC: UInt32?
    var payloadType: UInt8?
    /// The RTX payload type whose `apt` is `payloadType`, when negotiated; otherwise NACKs are answered
    /// by sending the original packet again.
    var rtxPayloadType: UInt8?
    var sequenceNumber: UInt16
    var rtxSequenceNumber: UInt16
    var statistics: SenderStatistics
    var history = SendHistory()

    init(kind: MediaTrack.Kind, ssrc: UInt32, rtxSSRC: UInt32? = nil, clockRate: UInt32, firstSequenceNumber: UInt16) {
        self.kind = kind
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
        self.sequenceNumber = firstSequenceNumber
        self.rtxSequenceNumber = firstSequenceNumber &+ 0x8000
        self.statistics = SenderStatistics(ssrc: ssrc, clockRate: clockRate)
    }

    /// RTP packets (plain, not yet protected) for one frame packetized for every connection: only the
    /// header is this track's own; the payloads are shared, not copied.
    mutating func packets(for frame: PacketizedFrame, at now: Timestamp) -> [RTPPacket] {
        guard let payloadType else { return [] }
        let payloads = frame.payloads
        var packets: [RTPPacket] = []
        packets.reserveCapacity(payloads.count)
        for (index, payload) in payloads.enumerated() {
            // Audio: every packet is a talkspurt of its own for the receiver's playout; video: the marker ends a frame.
            let marker = kind == .video ? index == payloads.count - 1 : false
            let packet = RTPPacket(payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: frame.rtpTimestamp,
                                   ssrc: ssrc, marker: marker, payload: payload[...])
            sequenceNumber &+= 1
            statistics.recordSent(rtpTimestamp: frame.rtpTimestamp, payloadSize: payload.count, at: now)
            history.record(packet, at: now)
            packets.append(packet)
        }
        return packets
    }

    /// The packets a NACK asks for that are still held: wrapped in RTX (RFC 4588) when negotiated, else as sent.
    mutating func retransmissions(of lost: [UInt16], at now: Timestamp) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        for sequence in lost {
            guard let original = history.resend(sequence, at: now) else { continue }
            if let rtxPayloadType, let rtxSSRC {
                let packet = RetransmissionPayload.wrap(original, payloadType: rtxPayloadType, ssrc: rtxSSRC,
                                                        sequenceNumber: rtxSequenceNumber)
                rtxSequenceNumber &+= 1
                packets.append(packet.serialized())
            } else {
                packets.append(original.serialized())
            }
        }
        return packets
    }
}
