import Foundation
import Mesh
import Recorder
import Testing

/// Finalizing in place: real VP8/VP9 and Opus written live, then finalized as on a clean close, or cut
/// anywhere (a killed process) and finalized from what `WebMLiveFileReader` finds; judged by ffprobe,
/// mkvinfo, libwebm and ffmpeg's decoder.
@Suite(.enabled(if: MediaTool.available, "needs /usr/bin/ffmpeg and /usr/bin/ffprobe"))
struct WebMFinalizationTests {
    static let mkvinfo = "/usr/bin/mkvinfo"

    static func formatDuration(_ url: URL) throws -> Double {
        let probe = try MediaTool.run(
            MediaTool.ffprobe, ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url.path])
        guard let seconds = Double(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ToolError("ffprobe format=duration: '\(probe.stdout)' \(probe.stderr)")
        }
        return seconds
    }

    /// mkvinfo's full tree (`--all` shows the SeekHead's and the Cues' entries), failing when it is not installed.
    static func mkvinfoTree(_ url: URL) throws -> [Substring] {
        guard FileManager.default.isExecutableFile(atPath: mkvinfo) else { throw ToolError("mkvinfo missing: apt-get install mkvtoolnix") }
        let info = try MediaTool.run(mkvinfo, ["--all", url.path])
        guard info.status == 0 else { throw ToolError("mkvinfo exited \(info.status): \(info.stdout) \(info.stderr)") }
        return info.stdout.split(separator: "\n")
    }

    static func decodeErrors(_ url: URL) throws -> String {
        let decode = try MediaTool.run(MediaTool.ffmpeg, MediaTool.decodeArguments(url.path))
        return decode.stderr + (decode.status == 0 ? "" : "exit \(decode.status)")
    }

    /// The true end of the media: the later of the last video frame's and the last Opus packet's end.
    static func truth(_ inputs: WebMMediaTests.Inputs) -> Double {
        let video = Double(inputs.video.frames.last?.timestampMilliseconds ?? 0) / 1000 + 1.0 / 15
        let audio = Double(inputs.audio.packets.last?.timestampMilliseconds ?? 0) / 1000 + 0.020
        return max(video, audio)
    }

    @Test(arguments: [WebMCodec.vp8, .vp9])
    func aFinalizedFileHasItsDurationCuesAndSeekHead(codec: WebMCodec) throws {
        let inputs = try WebMMediaTests.encode(codec)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let url = inputs.directory.appendingPathComponent("finalized.webm")
        let recording = try MuxedRecording.mux(video: inputs.video, videoCodec: codec, audio: inputs.audio, to: url)
        let finalization = try #require(recording.finalization)
        try Data(recording.finalizedBytes).write(to: url)

        let duration = try Self.formatDuration(url)
        #expect(abs(duration - Self.truth(inputs)) <= 1.0 / 15, "duration \(duration), truth \(Self.truth(inputs))")
        #expect(try Self.decodeErrors(url).isEmpty)

        let tree = try Self.mkvinfoTree(url)
        #expect(tree.contains { $0.hasPrefix("+ Segment: size ") }, "the Segment has a known size")
        #expect(!tree.contains { $0.contains("size is unknown") }, "\(tree.filter { $0.contains("unknown") })")
        #expect(tree.contains { $0.contains("+ Duration:") })
        // The measured mean frame interval: 15 fps.
        let declared = tree.first { $0.contains("+ Default duration:") }
        let rate = declared?.split(separator: "(").last?.split(separator: " ").first.flatMap { Double($0) }
        #expect(abs((rate ?? 0) - 15) < 0.05, "mkvinfo: \(declared ?? "no Default duration")")
        #expect(tree.filter { $0.hasSuffix("+ Seek head") }.count == 1)
        for name in ["KaxInfo", "KaxTracks", "KaxCues"] {
            #expect(tree.contains { $0.contains("Seek ID") && $0.contains(name) }, "SeekHead names \(name)")
        }
        #expect(tree.contains { $0.hasSuffix("+ Cues") })
        #expect(tree.filter { $0.hasSuffix("+ Cue point") }.count == recording.videoKeyframes)
        let cueClusters = Set(tree.filter { $0.contains("Cue cluster position:") })
        #expect(cueClusters.count == recording.videoKeyframes, "every keyframe starts its own cluster here")

        let summary = LibWebMSummary(path: url.path)
        #expect(summary.result == 0 && summary.status == 0 && !summary.isParsingError, "\(summary.error)")
        #expect(summary.clusters == UInt64(recording.clusters.count))
        #expect(summary.track(MuxedRecording.videoTrack)?.frames == UInt64(recording.videoFrames))
        #expect(summary.track(MuxedRecording.audioTrack)?.frames == UInt64(recording.audioPackets))

        // Reading the finalized file back finds the same layout, and finalizing it again changes nothing.
        let reread = try WebMLiveFileReader.read(recording.finalizedBytes)
        #expect(reread.layout == recording.layout)
        #expect(WebMFinalization(reread.layout) == finalization)
        #expect(reread.bytesAfterMedia == Int64(finalization.trailing.count))
    }

    /// A live file repaired after a kill at its very end comes out byte for byte as a clean close writes it.
    @Test func repairingACompleteLiveFileEqualsFinalizingItOnClose() throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let url = inputs.directory.appendingPathComponent("live.webm")
        let recording = try MuxedRecording.mux(video: inputs.video, videoCodec: .vp8, audio: inputs.audio, to: url)
        let scan = try WebMLiveFileReader.read(recording.bytes)
        #expect(scan.layout == recording.layout)
        #expect(scan.bytesAfterMedia == 0)
        #expect(scan.blocks == recording.videoFrames + recording.audioPackets)
        #expect(WebMFinalization(scan.layout).applied(to: recording.bytes) == recording.finalizedBytes)
    }

    /// A kill during finalizing (Cues cut short, or only some patches written) leaves a file that plays,
    /// and that repair finalizes to exactly what an uninterrupted close writes.
    @Test func aKillWhileFinalizingIsRepairedToTheSameFile() throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let url = inputs.directory.appendingPathComponent("live.webm")
        let recording = try MuxedRecording.mux(video: inputs.video, videoCodec: .vp8, audio: inputs.audio, to: url)
        let finalization = try #require(recording.finalization)
        var states: [[UInt8]] = [0, 1, finalization.trailing.count / 2].map { recording.bytes + finalization.trailing.prefix($0) }
        for written in 0...finalization.patches.count {
            let partial = WebMFinalization(
                trailingOffset: finalization.trailingOffset, trailing: finalization.trailing,
                patches: Array(finalization.patches.prefix(written)))
            states.append(partial.applied(to: recording.bytes))
        }
        for (index, state) in states.enumerated() {
            let scan = try WebMLiveFileReader.read(state)
            #expect(WebMFinalization(scan.layout).applied(to: state) == recording.finalizedBytes, "state \(index)")
        }
        // One of them as a player meets it: Cues, cluster sizes and Duration written; no SeekHead, the Segment still unknown-size.
        let midway = inputs.directory.appendingPathComponent("midway.webm")
        try Data(states[states.count - 3]).write(to: midway)
        #expect(try Self.decodeErrors(midway).isEmpty)
    }

    /// 20 kills at random bytes past the header: each repaired file keeps every whole block, lasts up to
    /// its last whole block, and decodes without a complaint.
    @Test func aFileCutAnywhereIsRepairedUpToItsLastWholeBlock() throws {
        let inputs = try WebMMediaTests.encode(.vp8)
        defer { try? FileManager.default.removeItem(at: inputs.directory) }
        let url = inputs.directory.appendingPathComponent("live.webm")
        let recording = try MuxedRecording.mux(video: inputs.video, videoCodec: .vp8, audio: inputs.audio, to: url)
        // From the end of the first block on, so that every cut leaves some media.
        let headerEnd = try #require(recording.blockEnds.first?.end)
        var random = SplitMix64(seed: 10)
        for _ in 0..<20 {
            let cut = headerEnd + Int(random.next() % UInt64(recording.bytes.count - headerEnd))
            let scan = try WebMLiveFileReader.read(Array(recording.bytes.prefix(cut)))
            let whole = recording.blockEnds.filter { $0.end <= cut }
            #expect(scan.blocks == whole.count, "cut at \(cut)")
            #expect(scan.layout.end == Int64(whole.last?.end ?? Int(scan.layout.end)), "cut at \(cut)")

            let repairedURL = inputs.directory.appendingPathComponent("cut-\(cut).webm")
            try Data(WebMFinalization(scan.layout).applied(to: Array(recording.bytes.prefix(cut)))).write(to: repairedURL)
            #expect(try Self.decodeErrors(repairedURL).isEmpty, "cut at \(cut)")
            let probe = try FFprobeStreams(path: repairedURL.path)
            let wholeVideo = whole.filter { $0.track == MuxedRecording.videoTrack }.count
            #expect(probe.streams.map(\.packets) == [wholeVideo, whole.count - wholeVideo], "cut at \(cut)")
            let lastWhole = probe.streams.map(\.end).max() ?? 0
            let duration = try Self.formatDuration(repairedURL)
            #expect(abs(duration - lastWhole) < 0.1, "cut at \(cut): duration \(duration), media ends at \(lastWhole)")
            let summary = LibWebMSummary(path: repairedURL.path)
            #expect(summary.status == 0 && !summary.isParsingError, "cut at \(cut): \(summary.error)")
        }
    }

    @Test func everyCutInsideTheHeaderIsAClearErrorAndGarbageNeverCrashes() throws {
        var writer = try WebMWriter(tracks: [.video(number: 1, codec: .vp8, width: 320, height: 240), .opus(number: 2)],
                                    writingApp: "tests")
        var bytes = writer.header()
        for index in 0..<100 {
            bytes += try writer.append(frame: [UInt8](repeating: UInt8(index), count: 50), track: index % 3 == 0 ? 1 : 2,
                                       timestampMilliseconds: Int64(index * 20), keyframe: index % 30 == 0)
        }
        let headerEnd = Int(writer.layout.clusters.first?.offset ?? 0)
        for cut in 0..<headerEnd {
            #expect(throws: WebMLiveFileReader.Failure.self, "cut at \(cut)") { try WebMLiveFileReader.read(Array(bytes.prefix(cut))) }
        }
        // Flipped bytes anywhere: an error or a layout inside the file, never a trap.
        var random = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            var mutated = bytes
            for _ in 0..<(1 + random.next() % 4) {
                mutated[Int(random.next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: random.next())
            }
            if let scan = try? WebMLiveFileReader.read(mutated) {
                #expect(scan.layout.end <= Int64(mutated.count))
                #expect(scan.layout.clusters.allSatisfy { $0.offset < $0.end && $0.end <= scan.layout.end })
            }
        }
        #expect(throws: WebMLiveFileReader.Failure.self) { try WebMLiveFileReader.read([UInt8](repeating: 0xFF, count: 4096)) }
        // A live file without the reserved room (as recorders before finalizing wrote them) is refused, not half-finalized.
        let slot = try #require(writer.layout.seekHeadSlot)
        var withoutRoom = bytes
        withoutRoom.removeSubrange(Int(slot.lowerBound)..<Int(slot.upperBound))
        #expect(throws: WebMLiveFileReader.Failure.self) { try WebMLiveFileReader.read(withoutRoom) }
    }
}
