import Mesh
import Testing
@testable import Recorder

/// All on virtual time: `Timestamp`s are made up, nothing sleeps.
@Suite struct JitterBufferTests {
    /// A synthetic VP8 stream: frame `index` has `packetsPerFrame` packets, minimal
    /// descriptors, and a first data byte whose P bit marks keyframes.
    struct Stream {
        var firstSequence: UInt16 = 100
        var packetsPerFrame = 3
        var keyframeEvery = 10

        func isKeyframe(_ frame: Int) -> Bool { frame % keyframeEvery == 0 }

        func packets(frame: Int) -> [RTPPacket] {
            (0..<packetsPerFrame).map { part in
                let dataByte: UInt8 = part == 0 ? (isKeyframe(frame) ? 0x00 : 0x01) : UInt8(part)
                let payload: [UInt8] = [part == 0 ? 0x10 : 0x00, dataByte, UInt8(frame & 0xFF)]
                return RTPPacket(
                    payloadType: 96, sequenceNumber: firstSequence &+ UInt16(truncatingIfNeeded: frame * packetsPerFrame + part),
                    timestamp: UInt32(frame * 6000), ssrc: 5, marker: part == packetsPerFrame - 1, payload: payload[...])
            }
        }

        func expectedData(frame: Int) -> [UInt8] {
            packets(frame: frame).flatMap { $0.payload.dropFirst() }
        }
    }

    static func drain(_ buffer: inout JitterBuffer, at time: Timestamp) -> [JitterOutput] {
        var outputs: [JitterOutput] = []
        while let output = buffer.poll(at: time) { outputs.append(output) }
        return outputs
    }

    static func frames(_ outputs: [JitterOutput]) -> [MediaFrame] {
        outputs.compactMap { if case .frame(let frame) = $0 { frame } else { nil } }
    }

    static func keyframeRequests(_ outputs: [JitterOutput]) -> Int {
        outputs.filter { if case .keyframeNeeded = $0 { true } else { false } }.count
    }

    static func ms(_ value: Int64) -> Timestamp { .milliseconds(value) }

    @Test func inOrderStreamFlowsWithoutRequests() {
        let stream = Stream()
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        var outputs: [JitterOutput] = []
        for frame in 0..<12 {
            for packet in stream.packets(frame: frame) { buffer.push(packet, at: Self.ms(Int64(frame) * 66)) }
            outputs += Self.drain(&buffer, at: Self.ms(Int64(frame) * 66))
            #expect(buffer.nextDeadline == nil)
        }
        let frames = Self.frames(outputs)
        #expect(frames.count == 12)
        #expect(frames.map(\.data) == (0..<12).map(stream.expectedData))
        #expect(frames.map(\.isKeyframe) == (0..<12).map(stream.isKeyframe))
        #expect(frames[1].firstSequence & 0xFFFF == 103 && frames[1].lastSequence & 0xFFFF == 105)
        #expect(frames[1].receivedAt == Self.ms(66))
        #expect(Self.keyframeRequests(outputs) == 0)
        #expect(buffer.statistics.framesEmitted == 12)
        #expect(buffer.statistics.packetsReceived == 36)
    }

    /// The ring starts small and grows while packets wait for a gap: a keyframe of 200 packets whose first
    /// packet comes last (and the wrap of the sequence number inside it) still comes out whole, in order.
    @Test func theRingGrowsToHoldAFrameLargerThanItStartedWith() {
        let stream = Stream(firstSequence: 65_400, packetsPerFrame: 200)
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        #expect(buffer.slotCount == JitterBuffer.initialSlots)
        var packets = (0..<3).flatMap(stream.packets)
        let first = packets.remove(at: 0)
        packets.insert(first, at: 199)
        var outputs: [JitterOutput] = []
        for (index, packet) in packets.enumerated() {
            buffer.push(packet, at: Self.ms(Int64(index / 10)))
            outputs += Self.drain(&buffer, at: Self.ms(Int64(index / 10)))
        }
        #expect(Self.frames(outputs).map(\.data) == (0..<3).map(stream.expectedData))
        #expect(buffer.statistics.lost == 0)
        #expect(buffer.slotCount == 256)
        // A small stream never grows it.
        var light = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        let small = Stream(packetsPerFrame: 2)
        for frame in 0..<100 { for packet in small.packets(frame: frame) { light.push(packet, at: Self.ms(Int64(frame) * 33)) } }
        #expect(Self.frames(Self.drain(&light, at: Self.ms(3_300))).count == 100)
        #expect(light.slotCount == JitterBuffer.initialSlots)
    }

    @Test func reordersAcrossTheSequenceWrap() {
        let stream = Stream(firstSequence: 65530)
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        var packets = (0..<6).flatMap(stream.packets)
        packets.swapAt(1, 2)  // inside the keyframe
        packets.swapAt(5, 7)  // across the wrap: 65535 and 1
        packets.swapAt(9, 13)
        var outputs: [JitterOutput] = []
        for (index, packet) in packets.enumerated() {
            buffer.push(packet, at: Self.ms(Int64(index)))
            outputs += Self.drain(&buffer, at: Self.ms(Int64(index)))
        }
        let frames = Self.frames(outputs)
        #expect(frames.map(\.data) == (0..<6).map(stream.expectedData))
        #expect(frames[2].firstSequence == frames[1].lastSequence + 1)
        #expect(outputs.count == 6)
        #expect(buffer.statistics.lost == 0)
        #expect(buffer.nextDeadline == nil)
    }

    @Test func duplicatesAndLatePacketsAreDroppedAndCounted() {
        let stream = Stream()
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        let packets = (0..<2).flatMap(stream.packets)
        buffer.push(packets[0], at: Self.ms(0))
        buffer.push(packets[2], at: Self.ms(1))
        buffer.push(packets[2], at: Self.ms(2))  // held copy
        buffer.push(packets[1], at: Self.ms(3))
        buffer.push(packets[0], at: Self.ms(4))  // already released
        for packet in packets[3...] { buffer.push(packet, at: Self.ms(5)) }
        let outputs = Self.drain(&buffer, at: Self.ms(5))
        #expect(Self.frames(outputs).map(\.data) == [stream.expectedData(frame: 0), stream.expectedData(frame: 1)])
        #expect(buffer.statistics.duplicates == 1)
        #expect(buffer.statistics.late == 1)
        #expect(buffer.statistics.packetsReceived == 8)
    }

    @Test func lossDropsTheFrameAndWaitsForTheNextKeyframe() {
        let stream = Stream(keyframeEvery: 14)
        // A sender that repairs nothing (no NACK negotiated): gaps are waited for only `maxDelay`.
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(),
                                  configuration: .init(maxDelay: .milliseconds(150), capacity: 512))
        var outputs: [JitterOutput] = []
        for frame in 0..<26 {
            let now = Self.ms(Int64(frame) * 66)
            for (part, packet) in stream.packets(frame: frame).enumerated() where !(frame == 2 && part == 1) {
                buffer.push(packet, at: now)
            }
            if frame == 2 { #expect(buffer.nextDeadline == now + .milliseconds(150)) }
            // Poll at every deadline that falls before the next frame, as a runner would.
            while let deadline = buffer.nextDeadline, deadline < Self.ms(Int64(frame + 1) * 66) {
                outputs += Self.drain(&buffer, at: deadline)
            }
            outputs += Self.drain(&buffer, at: now)
        }
        let frames = Self.frames(outputs)
        // Frames 0 and 1 play; 2 is cut; 3...13 are deltas on a broken reference; 14 on play.
        #expect(frames.map { Int($0.rtpTimestamp) / 6000 } == [0, 1] + Array(14..<26))
        #expect(frames.map(\.data) == ([0, 1] + Array(14..<26)).map(stream.expectedData))
        #expect(outputs.contains(.lost(count: 1)))
        #expect(buffer.statistics.lost == 1)
        #expect(buffer.statistics.framesDropped == 12)  // frame 2 cut, then 3...13
        // The first request comes when the gap is given up on (at 282 ms), the next with the
        // first delta frame 500 ms later (frame 12 at 792 ms), none in between.
        #expect(Self.keyframeRequests(outputs) == 2)
        #expect(buffer.statistics.keyframeRequests == 2)
        #expect(buffer.nextDeadline == nil)
    }

    @Test func streamStartingMidGopAsksForAKeyframe() {
        let stream = Stream(keyframeEvery: 5)
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        var outputs: [JitterOutput] = []
        for frame in 2..<7 {
            for packet in stream.packets(frame: frame) { buffer.push(packet, at: Self.ms(Int64(frame) * 66)) }
            outputs += Self.drain(&buffer, at: Self.ms(Int64(frame) * 66))
        }
        #expect(outputs.first == .keyframeNeeded(reason: "stream start"))
        #expect(Self.frames(outputs).map(\.data) == [stream.expectedData(frame: 5), stream.expectedData(frame: 6)])
        #expect(buffer.statistics.framesDropped == 3)
    }

    @Test func keyframeWhoseFirstPacketArrivesLateIsKept() {
        let stream = Stream()
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        let packets = stream.packets(frame: 0)
        buffer.push(packets[1], at: Self.ms(0))
        buffer.push(packets[2], at: Self.ms(1))
        #expect(Self.drain(&buffer, at: Self.ms(1)) == [.keyframeNeeded(reason: "stream start")])
        #expect(buffer.nextDeadline == Self.ms(150))
        buffer.push(packets[0], at: Self.ms(20))
        let frames = Self.frames(Self.drain(&buffer, at: Self.ms(20)))
        #expect(frames.map(\.data) == [stream.expectedData(frame: 0)])
        #expect(frames.first?.isKeyframe == true)
        #expect(frames.first?.receivedAt == Self.ms(20))
    }

    @Test func startupGivesUpOnAMissingFirstPacket() {
        let stream = Stream()
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        for packet in stream.packets(frame: 0).dropFirst() { buffer.push(packet, at: Self.ms(0)) }
        for packet in stream.packets(frame: 10) { buffer.push(packet, at: Self.ms(0)) }
        _ = Self.drain(&buffer, at: Self.ms(0))
        #expect(buffer.nextDeadline == Self.ms(150))
        var outputs = Self.drain(&buffer, at: Self.ms(150))
        // Past the start, the gap to frame 10 is one like any other: waited for while a repair could come.
        #expect(buffer.nextDeadline == Self.ms(0) + buffer.gapWait)
        outputs += Self.drain(&buffer, at: Self.ms(0) + buffer.gapWait)
        #expect(Self.frames(outputs).map(\.data) == [stream.expectedData(frame: 10)])
        #expect(outputs.contains(.lost(count: 27)))
    }

    @Test func bigJumpRestartsTheStream() {
        let stream = Stream()
        let restarted = Stream(firstSequence: 100 &+ 10_000)
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        var outputs: [JitterOutput] = []
        for packet in stream.packets(frame: 0) + stream.packets(frame: 1) + restarted.packets(frame: 0) {
            buffer.push(packet, at: Self.ms(1))
        }
        outputs += Self.drain(&buffer, at: Self.ms(1))
        #expect(Self.frames(outputs).count == 3)
        #expect(buffer.statistics.restarts == 1)
        #expect(buffer.statistics.lost == 0)
        #expect(buffer.nextDeadline == nil)
        // And backwards, as a sender that restarted with a lower random sequence number.
        let backwards = Stream(firstSequence: 100 &+ 5_000)
        for packet in backwards.packets(frame: 0) { buffer.push(packet, at: Self.ms(2)) }
        #expect(Self.frames(Self.drain(&buffer, at: Self.ms(2))).count == 1)
        #expect(buffer.statistics.restarts == 2)
    }

    @Test func audioLossSkipsWithoutKeyframes() {
        var buffer = JitterBuffer(depacketizer: OpusDepacketizer(), configuration: .audio)
        func packet(_ index: Int) -> RTPPacket {
            let payload: [UInt8] = [0xFC, UInt8(index)]
            return RTPPacket(payloadType: 111, sequenceNumber: UInt16(truncatingIfNeeded: 65534 + index), timestamp: UInt32(index * 960),
                             ssrc: 1, payload: payload[...])
        }
        var outputs: [JitterOutput] = []
        for index in 0..<10 where index != 3 && index != 4 {
            buffer.push(packet(index), at: Self.ms(Int64(index) * 20))
            outputs += Self.drain(&buffer, at: Self.ms(Int64(index) * 20))
            if index == 5 { #expect(buffer.nextDeadline == Self.ms(100 + 60)) }
        }
        outputs += Self.drain(&buffer, at: Self.ms(160))
        #expect(Self.frames(outputs).map { $0.data[1] } == [0, 1, 2, 5, 6, 7, 8, 9])
        #expect(outputs.contains(.lost(count: 2)))
        #expect(Self.keyframeRequests(outputs) == 0)
        #expect(buffer.statistics.lost == 2)
    }

    @Test func sizeCapDeclaresLossBeforeTheDeadline() {
        var buffer = JitterBuffer(depacketizer: OpusDepacketizer(), configuration: .audio)
        for index in 0..<70 where index != 1 {
            // A well-formed Opus packet (code 0, one frame): a malformed one would be skipped.
            let payload: [UInt8] = [0xFC, UInt8(index)]
            buffer.push(
                RTPPacket(payloadType: 111, sequenceNumber: UInt16(index), timestamp: UInt32(index * 960), ssrc: 1,
                          payload: payload[...]),
                at: Self.ms(0))
        }
        let outputs = Self.drain(&buffer, at: Self.ms(0))
        #expect(Self.frames(outputs).count == 69)
        #expect(outputs[1] == .lost(count: 1))
    }

    @Test func paddingPacketsFillTheirSequenceNumbers() {
        let stream = Stream()
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        for packet in stream.packets(frame: 0) { buffer.push(packet, at: Self.ms(0)) }
        for offset in 0..<3 {
            buffer.push(RTPPacket(payloadType: 96, sequenceNumber: 103 + UInt16(offset), timestamp: 0, ssrc: 5, payload: []),
                        at: Self.ms(1))
        }
        let shifted = Stream(firstSequence: 103)
        for packet in shifted.packets(frame: 1) { buffer.push(packet, at: Self.ms(2)) }
        let outputs = Self.drain(&buffer, at: Self.ms(2))
        #expect(Self.frames(outputs).count == 2)
        #expect(buffer.statistics.lost == 0 && buffer.statistics.framesDropped == 0)
        #expect(buffer.nextDeadline == nil)
    }

    @Test func malformedPacketCountsAsLoss() {
        let stream = Stream()
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        var packets = (0..<2).flatMap(stream.packets)
        packets[4].payload = [0x80]  // X set, extension byte missing
        for packet in packets { buffer.push(packet, at: Self.ms(0)) }
        let outputs = Self.drain(&buffer, at: Self.ms(0))
        #expect(Self.frames(outputs).count == 1)
        #expect(buffer.statistics.malformed == 1 && buffer.statistics.framesDropped == 1)
        #expect(Self.keyframeRequests(outputs) == 1)
    }

    @Test func realClipSurvivesShufflingAndDuplicates() throws {
        let clip = try EncodedClip.vp8.get()
        var packetizer = VP8Packetizer(maxPayloadSize: 500)
        let packets = EncodedClip.packets(clip.frames.map { packetizer.packetize($0.data[...]) }, firstSequence: 65400)
        var random = SplitMix64(seed: 7)
        // Each packet is delayed 0-40 ms on top of a 5 ms pace, and 5% are sent twice.
        var arrivals: [(Timestamp, RTPPacket)] = []
        for (index, packet) in packets.enumerated() {
            let sent = Int64(index) * 5
            arrivals.append((Self.ms(sent + Int64(random.next() % 40)), packet))
            if random.next() % 20 == 0 { arrivals.append((Self.ms(sent + Int64(random.next() % 60)), packet)) }
        }
        arrivals.sort { $0.0 < $1.0 }
        var buffer = JitterBuffer(depacketizer: VP8Depacketizer(), configuration: .video)
        var outputs: [JitterOutput] = []
        for (time, packet) in arrivals {
            buffer.push(packet, at: time)
            outputs += Self.drain(&buffer, at: time)
        }
        let frames = Self.frames(outputs)
        #expect(frames.map(\.data) == clip.frames.map(\.data))
        #expect(frames.map(\.isKeyframe) == clip.frames.map(\.isKeyframe))
        #expect(frames.filter(\.isKeyframe).allSatisfy { $0.width == 320 && $0.height == 240 })
        #expect(buffer.statistics.lost == 0)
        #expect(buffer.statistics.duplicates + buffer.statistics.late == arrivals.count - packets.count)
    }
}

