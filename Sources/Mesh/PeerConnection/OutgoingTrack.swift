/// One stream we send (the bot's own tile): its SSRC, the negotiated payload type, and RTP state.
struct OutgoingTrack: Sendable {
    let kind: MediaTrack.Kind
    let ssrc: UInt32
    var payloadType: UInt8?
    var sequenceNumber: UInt16
    var statistics: SenderStatistics
    var packetizer = VP8Packetizer()

    init(kind: MediaTrack.Kind, ssrc: UInt32, clockRate: UInt32, firstSequenceNumber: UInt16) {
        self.kind = kind
        self.ssrc = ssrc
        self.sequenceNumber = firstSequenceNumber
        self.statistics = SenderStatistics(ssrc: ssrc, clockRate: clockRate)
    }

    /// RTP packets (plain, not yet protected) for one encoded frame.
    mutating func packets(for frame: [UInt8], rtpTimestamp: UInt32, at now: Timestamp) -> [[UInt8]] {
        guard let payloadType else { return [] }
        let payloads = kind == .video ? packetizer.packetize(frame[...]) : [frame]
        var packets: [[UInt8]] = []
        packets.reserveCapacity(payloads.count)
        for (index, payload) in payloads.enumerated() {
            // Audio: every packet is a talkspurt of its own for the receiver's playout; video: the marker ends a frame.
            let marker = kind == .video ? index == payloads.count - 1 : false
            let packet = RTPPacket(payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: rtpTimestamp,
                                   ssrc: ssrc, marker: marker, payload: payload[...])
            sequenceNumber &+= 1
            statistics.recordSent(rtpTimestamp: rtpTimestamp, payloadSize: payload.count, at: now)
            packets.append(packet.serialized())
        }
        return packets
    }
}
