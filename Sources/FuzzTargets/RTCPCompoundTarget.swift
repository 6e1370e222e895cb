import Mesh

/// RTCP compound packets (RFC 3550, 4585, 5104, 8888 drafts of REMB and transport-wide feedback) as they
/// come out of SRTCP: parse, re-serialize, and the result must parse to the same packets.
enum RTCPCompoundTarget {
    static let target = FuzzTarget(name: "rtcp", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        guard let packets = try? RTCPCompound.parse(bytes) else { return }
        for case .transportWideCongestionControl(let feedback) in packets { _ = feedback.arrivals }
        RoundTrip.require(packets, try? RTCPCompound.parse(RTCPCompound.serialize(packets)), "RTCP")
    }

    static func seeds() -> [[UInt8]] {
        let block = ReportBlock(ssrc: 0x2222, fractionLost: 12, cumulativeLost: -3, extendedHighestSequenceNumber: 70_000,
                                jitter: 90, lastSenderReport: 0x1234_5678, delaySinceLastSenderReport: 65536)
        let senderReport = RTCPPacket.senderReport(SenderReport(
            ssrc: 0x1111, ntpTime: NTPTime(unixNanoseconds: 1_700_000_000_000_000_000), rtpTimestamp: 123_456,
            packetCount: 10, octetCount: 12_000, reportBlocks: [block]))
        let sdes = RTCPPacket.sourceDescription(SourceDescription(source: 0x1111, cname: "{f5a8a5c3-cname}"))
        let receiverReport = RTCPPacket.receiverReport(ReceiverReport(ssrc: 1, reportBlocks: [block]))
        let remb = RTCPPacket.receiverEstimatedMaximumBitrate(ReceiverEstimatedMaximumBitrate(
            senderSSRC: 1, bitrate: 2_500_000, ssrcs: [0x2222, 0x3333]))
        let nack = RTCPPacket.transportLayerNack(TransportLayerNack(
            senderSSRC: 1, mediaSSRC: 0x2222, pairs: [TransportLayerNack.Pair(packetID: 65530, lostBitmask: 0x8001)]))
        let pli = RTCPPacket.pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: 0x2222))
        let fir = RTCPPacket.fullIntraRequest(FullIntraRequest(
            senderSSRC: 1, entries: [FullIntraRequest.Entry(ssrc: 0x2222, sequenceNumber: 7)]))
        let twcc = RTCPPacket.transportWideCongestionControl(TransportWideCongestionControl(
            senderSSRC: 1, mediaSSRC: 0x2222, baseSequenceNumber: 65534, referenceTime: 0x12_3456,
            feedbackPacketCount: 3,
            statuses: [.received(delta: 4), .notReceived, .received(delta: -300), .received(delta: 255)]))
        let bye = RTCPPacket.goodbye(Goodbye(sources: [0x1111], reason: Array("leaving".utf8)))
        return [
            RTCPCompound.serialize([senderReport, sdes]),
            RTCPCompound.serialize([receiverReport, remb, sdes]),
            RTCPCompound.serialize([receiverReport, nack, pli, fir]),
            RTCPCompound.serialize([receiverReport, twcc]),
            RTCPCompound.serialize([senderReport, sdes, bye]),
        ]
    }
}
