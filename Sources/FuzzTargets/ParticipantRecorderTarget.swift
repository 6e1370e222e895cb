import Mesh
import Recorder

/// One participant's recording fed a script of packets on its negotiated tracks (and on others: the
/// recorder meets SSRCs nobody announced), sender reports and time passing, then finished. Whatever
/// arrives, the recorder writes a file or nothing; it never traps.
enum ParticipantRecorderTarget {
    static let target = FuzzTarget(name: "recorder", run: run, seeds: seeds)
    static let maximumSteps = 400
    static let tracks = [
        MediaTrack(kind: .video, codec: .vp8, ssrc: 0x1000, payloadType: 96, clockRate: 90_000, mid: "1"),
        MediaTrack(kind: .audio, codec: .opus, ssrc: 0x2000, payloadType: 111, clockRate: 48_000, mid: "0"),
        MediaTrack(kind: .video, codec: .vp9, ssrc: 0x3000, payloadType: 98, clockRate: 90_000, mid: "2"),
    ]

    static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        var recorder = ParticipantRecorder(
            writingApp: "fuzz", timeline: MeetingTimeline(origin: .zero, unixNanosecondsAtOrigin: 1_700_000_000_000_000_000))
        var now = Timestamp.zero
        var sequences: [UInt16] = [0, 0, 0]
        var timestamps: [UInt32] = [0, 0, 0]
        var written = 0
        for _ in 0..<maximumSteps where !input.isAtEnd {
            let step = input.byte()
            let index = Int(step >> 2 & 3) % tracks.count
            var track = tracks[index]
            var outputs: [ParticipantRecorder.Output] = []
            switch step & 3 {
            case 0, 1:
                sequences[index] &+= UInt16(bitPattern: Int16(Int8(bitPattern: input.byte())))
                timestamps[index] &+= UInt32(input.uint16()) * 10
                // An SSRC the negotiation did not announce now and then: a stream after a renegotiation.
                if step & 0x40 != 0 { track.ssrc &+= UInt32(input.byte() & 3) }
                let packet = RTPPacket(payloadType: track.payloadType, sequenceNumber: sequences[index],
                                       timestamp: timestamps[index], ssrc: track.ssrc, marker: step & 0x20 != 0,
                                       payload: input.shortBytes()[...])
                if !packet.payload.isEmpty { outputs = recorder.push(packet, track: track, at: now) }
                now = now + .milliseconds(Int64(step >> 4 & 3) * 5)
            case 2:
                let ntp = NTPTime(rawValue: UInt64(input.uint32()) << 32 | UInt64(input.uint32()))
                recorder.senderReport(ssrc: track.ssrc, ntp: ntp, rtpTimestamp: input.uint32())
            default:
                if step & 0x80 != 0 {
                    recorder.expect(step & 0x40 != 0 ? [.video, .audio] : [.audio])
                } else {
                    now = now + .milliseconds(Int64(input.uint16()))
                    outputs = recorder.advance(to: now)
                }
            }
            for case .write(let bytes) in outputs { written += bytes.count }
        }
        for case .write(let bytes) in recorder.finish(at: now) { written += bytes.count }
        RoundTrip.require(written == recorder.bytesWritten, "recorder: wrote \(written) bytes, counted \(recorder.bytesWritten)")
        _ = (recorder.summary, recorder.trackStatistics, recorder.placement)
    }

    static func seeds() -> [[UInt8]] {
        // Sender reports for both tracks, then 30 fps VP8 keyframe + deltas and 20 ms Opus, for two seconds.
        var meeting = FuzzScript()
        meeting.byte(0xC3)
        meeting.byte(0x02); meeting.uint32(0xE8E0_0000); meeting.uint32(0); meeting.uint32(0)
        meeting.byte(0x06); meeting.uint32(0xE8E0_0000); meeting.uint32(0); meeting.uint32(0)
        for frame in 0..<60 {
            meeting.byte(0x20); meeting.byte(1); meeting.uint16(frame == 0 ? 0 : 300)
            meeting.shortBytes(frame == 0
                ? [0x90, 0x80, 0x01, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00, 0x01]
                : [0x90, 0x80, UInt8(frame & 0x7F), 0x31, 0x00, 0x00, 0x05])
            for _ in 0..<2 {
                meeting.byte(0x34); meeting.byte(1); meeting.uint16(96); meeting.shortBytes([0x78, 0x01, 0x02])
            }
            meeting.byte(0x03); meeting.uint16(0)
        }
        meeting.byte(0x03); meeting.uint16(5000)
        var audioOnly = FuzzScript()
        for _ in 0..<50 {
            audioOnly.byte(0x34); audioOnly.byte(1); audioOnly.uint16(96); audioOnly.shortBytes([0xFC, 0xFF, 0xFE])
        }
        audioOnly.byte(0x03); audioOnly.uint16(6000)
        return [meeting.bytes, audioOnly.bytes]
    }
}
