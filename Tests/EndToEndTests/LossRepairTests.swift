import Foundation
import Mesh
import Recorder
import Testing

/// Loss repair end to end: our own sender to our own recorder over a lossy, jittery path, judged by decoding
/// the file. A sent frame is either in the file or part of a freeze that ends on a keyframe: never smeared.
/// One scenario at a time: each encodes 30 s of VP8, and five at once on two cores starve the suites
/// that run beside them.
@Suite(.serialized) struct LossRepairTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var conditions: NetworkConditions
        var seed: UInt64
        /// The share of sent video frames the file must hold.
        var required: Double
        /// An outage no repair can bridge: the freezes it causes must show, each ending on a keyframe.
        var expectsFreezes = false
        var senderOffers = true
        var testDescription: String { name }
    }

    static let scenarios = [
        Scenario(name: "5% loss", conditions: NetworkConditions(loss: 0.05), seed: 5, required: 0.99),
        Scenario(name: "10% loss, 100 ms jitter", conditions: NetworkConditions(loss: 0.10, jitter: .milliseconds(100)),
                 seed: 10, required: 0.95),
        Scenario(name: "20% loss, 100 ms jitter", conditions: NetworkConditions(loss: 0.20, jitter: .milliseconds(100)),
                 seed: 20, required: 0.85),
        Scenario(name: "5% loss and a 1.5 s outage",
                 conditions: NetworkConditions(loss: 0.05, outage: Timestamp.seconds(10)..<Timestamp.seconds(11.5)),
                 seed: 15, required: 0.9, expectsFreezes: true),
        Scenario(name: "5% loss, the sender answering", conditions: NetworkConditions(loss: 0.05), seed: 6, required: 0.99,
                 senderOffers: false),
    ]

    @Test(arguments: scenarios)
    func lossIsRepairedOrFrozenNeverSmeared(_ scenario: Scenario) throws {
        var call = try RecordedCall(conditions: scenario.conditions, seed: scenario.seed, senderOffers: scenario.senderOffers)
        let result = try call.run(sending: .seconds(30))
        let directory = try MediaTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("call.webm")
        try Data(result.webm).write(to: url)

        #expect(try MediaTools.decodeErrors(url) == "")
        let framesInFile = try MediaTools.decodedVideoFrames(url)
        let share = Double(framesInFile) / Double(max(result.videoFramesSent, 1))
        let packets = try MediaTools.videoPackets(url)
        // At 30 fps a frame index is the time from the first frame in thirds of 100 ms; a skipped index is a
        // frame missing from the file, and the frame after it must be a keyframe (a freeze, not a smear).
        let first = packets.first?.milliseconds ?? 0
        var previousIndex: Int64?
        var freezes = 0, smears = 0, longestFreeze: Int64 = 0
        for packet in packets {
            let index = ((packet.milliseconds - first) * 30 + 500) / 1000
            if let previousIndex, index > previousIndex + 1 {
                freezes += 1
                longestFreeze = max(longestFreeze, index - previousIndex - 1)
                if !packet.keyframe { smears += 1 }
            }
            previousIndex = index
        }
        let video = result.tracks.first { $0.track.kind == .video }
        print("""
            [\(scenario.name)] video frames sent \(result.videoFramesSent), in the file \(framesInFile) \
            (\(String(format: "%.1f", share * 100)) %), freezes \(freezes) (longest \(longestFreeze) frames), \
            keyframe requests answered \(result.keyframesRequested); datagrams \(result.datagramsSent), \
            dropped \(result.datagramsDropped); recorder: \(result.recorder); sender: \(result.sender); \
            video jitter: \(video.map { "\($0.jitter)" } ?? "none")
            """)
        #expect(smears == 0, "a frame after a gap was not a keyframe")
        if scenario.expectsFreezes { #expect(freezes > 0, "the outage left no freeze: the freeze check saw nothing") }
        #expect(share >= scenario.required, "\(framesInFile) of \(result.videoFramesSent) frames in the file")
        // Repairs came as RTX (negotiated in either role), not as plain resends the RTX path would not see.
        #expect(result.recorder.repair.retransmissionsReceived > 0)
        #expect(result.recorder.repair.packetsRepaired > 0 && result.sender.repair.retransmissionsSent > 0)
    }
}
