@testable import Bot
@testable import MeetingKit
import Foundation
import Mesh
import Recorder
import Testing

/// `engage-bot repair` on files as a killed bot leaves them: real VP8 written live by `WebMWriter`,
/// cut at random bytes, repaired on disk, then judged by ffprobe and ffmpeg's decoder.
@Suite struct RecordingRepairTests {
    struct LiveRecording {
        var bytes: [UInt8]
        /// Where each block ends and its time, to know what a cut keeps.
        var blocks: [(end: Int, milliseconds: Int64)] = []
    }

    /// 4 s of 320x240 VP8 at 15 fps (a keyframe a second) from libvpx, muxed live.
    static let recording = Result { () throws -> LiveRecording in
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let ivf = directory.appendingPathComponent("clip.ivf")
        let encode = try Processes.run("/usr/bin/ffmpeg", [
            "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", "4", "-c:v", "libvpx",
            "-b:v", "300k", "-g", "15", "-lag-in-frames", "0", "-auto-alt-ref", "0", "-f", "ivf", ivf.path])
        guard encode.status == 0 else { throw TestFailure("ffmpeg: \(encode.standardError)") }
        let frames = try ivfFrames(Array(try Data(contentsOf: ivf)))
        var writer = try WebMWriter(tracks: [.video(number: 1, codec: .vp8, width: 320, height: 240)], writingApp: "tests")
        var recording = LiveRecording(bytes: writer.header())
        for (index, frame) in frames.enumerated() {
            let milliseconds = Int64(index * 1000 / 15)
            // VP8's frame tag: bit 0 clear on a keyframe.
            recording.bytes += try writer.append(
                frame: frame, track: 1, timestampMilliseconds: milliseconds, keyframe: frame.first.map { $0 & 1 == 0 } ?? false)
            recording.blocks.append((recording.bytes.count, milliseconds))
        }
        return recording
    }

    static func ivfFrames(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var reader = ByteReader(bytes)
        guard try reader.readBytes(4).elementsEqual("DKIF".utf8) else { throw TestFailure("not IVF") }
        try reader.skip(2)
        let headerLength = Int(try reader.readUInt16().byteSwapped)
        try reader.skip(headerLength - 8)
        var frames: [[UInt8]] = []
        while !reader.isAtEnd {
            let size = Int(try reader.readUInt32().byteSwapped)
            try reader.skip(8)  // pts
            frames.append(Array(try reader.readBytes(size)))
        }
        return frames
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("engage-repair-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func formatDuration(_ url: URL) throws -> Double {
        let probe = try Processes.run("/usr/bin/ffprobe", [
            "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url.path])
        guard let seconds = Double(probe.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("ffprobe format=duration of \(url.lastPathComponent): '\(probe.standardOutput)'")
        }
        return seconds
    }

    @Test func twentyKillsAtRandomBytesAreRepairedWithoutLosingAWholeFrame() throws {
        let recording = try Self.recording.get()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SplitMix64(seed: 20)
        let first = try #require(recording.blocks.first?.end)
        for _ in 0..<20 {
            let cut = first + Int(random.next() % UInt64(recording.bytes.count - first))
            let url = directory.appendingPathComponent("cut-\(cut).webm")
            try Data(recording.bytes.prefix(cut)).write(to: url)

            let whole = recording.blocks.filter { $0.end <= cut }
            let outcome = try RecordingRepair.repair(path: url.path)
            guard case .finalized(let blocks, _, _) = outcome else {
                Issue.record("cut at \(cut): \(outcome)")
                continue
            }
            #expect(blocks == whole.count, "cut at \(cut)")
            let probe = try MediaProbe.probe(url)
            #expect(probe.decodeErrors.isEmpty, "cut at \(cut): \(probe.decodeErrors)")
            #expect(probe.stream("video")?.packets == whole.count, "cut at \(cut)")
            // The media lasts to its last whole frame plus that frame's interval: within a second of the cut.
            let cutSeconds = Double(whole.last?.milliseconds ?? 0) / 1000
            let duration = try Self.formatDuration(url)
            #expect(duration >= cutSeconds && duration < cutSeconds + 1, "cut at \(cut): \(duration) s, cut at \(cutSeconds) s")

            // A second repair finds nothing to do and changes no byte.
            let repaired = try Data(contentsOf: url)
            guard case .alreadyFinalized(let again, _) = try RecordingRepair.repair(path: url.path) else {
                Issue.record("cut at \(cut): a second repair changed the file")
                continue
            }
            #expect(again == whole.count)
            #expect(try Data(contentsOf: url) == repaired)
        }
    }

    @Test func aCleanlyClosedFileIsAlreadyFinalized() throws {
        var recording = try Self.recording.get()
        var writer = try WebMWriter(tracks: [.video(number: 1, codec: .vp8, width: 320, height: 240)], writingApp: "tests")
        recording.bytes = writer.header()
        for (index, block) in recording.blocks.enumerated() {
            recording.bytes += try writer.append(frame: [0x10, UInt8(truncatingIfNeeded: index)], track: 1,
                                                 timestampMilliseconds: block.milliseconds, keyframe: index == 0)
        }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("closed.webm")
        let file = RecordingFile(path: url.path)
        try file.append(recording.bytes)
        let finalization = writer.finalize()
        try file.finalize(try #require(finalization))
        // Locked while the recorder holds it: repair refuses rather than racing the writer.
        #expect(throws: RecordingRepair.Failure.self) { try RecordingRepair.repair(path: url.path) }
        file.close()
        let closed = try Data(contentsOf: url)
        guard case .alreadyFinalized = try RecordingRepair.repair(path: url.path) else {
            Issue.record("a clean close left work for repair")
            return
        }
        #expect(try Data(contentsOf: url) == closed)
    }

    /// Each bad file gets its own clear error and is left as it was.
    @Test func hostileFilesGetAClearErrorEach() throws {
        let recording = try Self.recording.get()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SplitMix64(seed: 5)
        let cases: [(String, [UInt8]?)] = [
            ("empty", []),
            ("garbage", (0..<4096).map { _ in UInt8(truncatingIfNeeded: random.next()) }),
            ("header-cut", Array(recording.bytes.prefix(60))),
            ("not-webm", Array("RIFF....WAVEfmt ".utf8)),
            ("folder", nil),
        ]
        for (name, bytes) in cases {
            let url = directory.appendingPathComponent(name)
            if let bytes {
                try Data(bytes).write(to: url)
            } else {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            }
            #expect(throws: RecordingRepair.Failure.self, "\(name)") { try RecordingRepair.repair(path: url.path) }
            if let bytes { #expect(try Data(contentsOf: url) == Data(bytes), "\(name) was changed") }
        }
        #expect(throws: RecordingRepair.Failure.self) { try RecordingRepair.repair(path: directory.appendingPathComponent("missing").path) }
    }
}
