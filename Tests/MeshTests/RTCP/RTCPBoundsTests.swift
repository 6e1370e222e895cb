import Testing

@testable import Mesh

/// Every RTCP packet we write stays within its count fields, and every compound we send fits a datagram.
@Suite struct RTCPBoundsTests {
    private func blocks(_ count: Int) -> [ReportBlock] {
        (0..<count).map { ReportBlock(ssrc: UInt32($0) + 1, extendedHighestSequenceNumber: 5) }
    }

    @Test func writersClampWhatTheirCountFieldsCannotHold() throws {
        let remb = ReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 1_000_000, ssrcs: (0..<300).map { UInt32($0) })
        #expect(try ReceiverEstimatedMaximumBitrate.parse(remb.serialize()).ssrcs == Array(remb.ssrcs.prefix(255)))

        let receiverReport = ReceiverReport(ssrc: 1, reportBlocks: blocks(40))
        #expect(try ReceiverReport.parse(receiverReport.serialize()).reportBlocks == Array(blocks(31)))

        let senderReport = SenderReport(ssrc: 1, ntpTime: NTPTime(rawValue: 1), rtpTimestamp: 2, packetCount: 3,
                                        octetCount: 4, reportBlocks: blocks(32))
        #expect(try SenderReport.parse(senderReport.serialize()).reportBlocks == blocks(31))

        let bye = Goodbye(sources: (0..<40).map { UInt32($0) }, reason: Array(repeating: 0x61, count: 300))
        let parsedBye = try Goodbye.parse(bye.serialize())
        #expect(parsedBye.sources == Array(bye.sources.prefix(31)))
        #expect(parsedBye.reason?.count == 255)

        let sdes = SourceDescription(chunks: (0..<40).map {
            .init(source: UInt32($0), items: [.cname(String(repeating: "c", count: 300)), .init(type: 0, value: [1])])
        })
        let parsedSDES = try SourceDescription.parse(sdes.serialize())
        #expect(parsedSDES.chunks.count == 31)
        #expect(parsedSDES.chunks.allSatisfy { $0.items.count == 1 && $0.items[0].value.count == 255 })
    }

    @Test func aReportOnManySourcesIsSplitIntoDatagramsThatEachFitTheMTU() throws {
        var statistics = (0..<200).map { ReceiverStatistics(ssrc: UInt32($0) + 1000) }
        for index in statistics.indices {
            statistics[index].record(sequenceNumber: 1, rtpTimestamp: 0, arrival: .seconds(1), clockRate: 90_000)
        }
        var packets = RTCPCompound.receiverReport(ssrc: 7, cname: "bot", statistics: &statistics, at: .seconds(2))
        packets.append(.receiverEstimatedMaximumBitrate(ReceiverEstimatedMaximumBitrate(
            senderSSRC: 7, bitrate: 10_000_000, ssrcs: (0..<255).map { UInt32($0) })))
        let packing = RTCPCompound.pack(packets, opening: .receiverReport(ReceiverReport(ssrc: 7)))
        #expect(packing.leftOut == 0)
        #expect(packing.datagrams.count > 1)
        var reported: [UInt32] = []
        var sawREMB = false
        for datagram in packing.datagrams {
            #expect(datagram.count <= RTCPCompound.maximumPlainDatagramSize)
            let parsed = try RTCPCompound.parse(datagram)
            // Every datagram of a report opens with a receiver report, as RFC 3550 wants of a compound.
            if case .receiverReport = parsed.first {} else { Issue.record("datagram opens with \(String(describing: parsed.first))") }
            for packet in parsed {
                if case .receiverReport(let report) = packet { reported += report.reportBlocks.map(\.ssrc) }
                if case .receiverEstimatedMaximumBitrate = packet { sawREMB = true }
            }
        }
        #expect(reported == statistics.map(\.ssrc))
        #expect(sawREMB)
    }

    @Test func aPacketLargerThanADatagramIsLeftOutAndCounted() {
        let huge = RTCPPacket.unknown(UnknownRTCPPacket(packetType: 204, countOrFormat: 0, body: Array(repeating: 0, count: 4000)))
        let packing = RTCPCompound.pack([.receiverReport(ReceiverReport(ssrc: 1)), huge, .goodbye(Goodbye(sources: [1]))])
        #expect(packing.leftOut == 1)
        #expect(packing.datagrams.count == 1)
        #expect(packing.datagrams.allSatisfy { $0.count <= RTCPCompound.maximumPlainDatagramSize })
    }
}
