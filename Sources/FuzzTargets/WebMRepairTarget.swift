import Recorder

/// A recording as `engagebot repair` reads it from disk: whatever a killed process, a full disk or
/// anyone with write access left in the file. `WebMLiveFileReader` rebuilds its layout, the finalization
/// is applied in memory as the repair applies it on disk, and the result is read back once more.
enum WebMRepairTarget {
    static let target = FuzzTarget(name: "webm-repair", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) {
        guard let scan = try? WebMLiveFileReader.read(bytes) else { return }
        let finalization = WebMFinalization(scan.layout)
        _ = (finalization.end, finalization.patches.count)
        let finalized = finalization.applied(to: bytes)
        _ = try? WebMLiveFileReader.read(finalized)
    }

    /// A live file of VP8 and Opus over several clusters, the same file finalized, and the live one cut
    /// inside its header, inside a cluster's header and inside a block.
    static func seeds() -> [[UInt8]] {
        guard var writer = try? WebMWriter(
            tracks: [.video(number: 1, codec: .vp8, width: 320, height: 240), .opus(number: 2, preSkip: 312)],
            writingApp: "fuzz")
        else { return [] }
        var live: [UInt8] = []
        for index in 0..<40 {
            let milliseconds = Int64(index) * 50
            let keyframe = index % 15 == 0
            let frame: [UInt8] = (keyframe ? [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00] : [0x31, 0x02, 0x00])
                + [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 20)
            if let bytes = try? writer.append(frame: frame, track: 1, timestampMilliseconds: milliseconds, keyframe: keyframe) {
                live += bytes
            }
            if let bytes = try? writer.append(frame: [0xFC, 0xFF, 0xFE], track: 2, timestampMilliseconds: milliseconds + 10,
                                              keyframe: true) {
                live += bytes
            }
        }
        var seeds = [live]
        if let finalization = writer.finalize() { seeds.append(finalization.applied(to: live)) }
        for cut in [40, 200, live.count / 2, live.count - 7] where cut > 0 && cut < live.count {
            seeds.append(Array(live.prefix(cut)))
        }
        return seeds
    }
}
