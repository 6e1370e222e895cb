import Foundation
import Recorder
import Tile

/// ffmpeg and ffprobe as independent judges of what the encoders produce; without them media tests fail (running
/// a missing executable throws), they never pass by skipping.
enum MediaCheck {
    static let ffmpeg = "/usr/bin/ffmpeg"
    static let ffprobe = "/usr/bin/ffprobe"
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Captures through files, not pipes, so a tool that writes a lot cannot stall on a full pipe buffer.
    static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let stdoutURL = directory.appendingPathComponent("out"), stderrURL = directory.appendingPathComponent("err")
        guard FileManager.default.createFile(atPath: stdoutURL.path, contents: nil),
            FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        else { throw CheckError("cannot create capture files in \(directory.path)") }
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        try process.run()
        process.waitUntilExit()
        try stdoutHandle.close()
        try stderrHandle.close()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: stdoutURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self))
    }

    static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("engage-tile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `ffmpeg -v error -i FILE -f null -`: a clean decode prints nothing.
    static func decodeErrors(_ url: URL) throws -> String {
        let result = try run(ffmpeg, ["-v", "error", "-i", url.path, "-f", "null", "-"])
        guard result.status == 0 else { return "exit \(result.status): \(result.stderr)" }
        return result.stderr
    }

    /// One `key=value` line per requested entry, per stream or frame, as ffprobe's compact output gives it.
    static func probe(_ url: URL, _ arguments: [String]) throws -> [String] {
        let result = try run(ffprobe, ["-v", "error"] + arguments + ["-of", "default=noprint_wrappers=1", url.path])
        guard result.status == 0 else { throw CheckError("ffprobe \(arguments): \(result.stderr)") }
        return result.stdout.split(separator: "\n").map(String.init)
    }
}

struct CheckError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The IVF container (libvpx's test format): a 32-byte file header, then a 12-byte header before each frame.
enum IVF {
    static func file(width: Int, height: Int, timebaseDenominator: UInt32, frames: [EncodedFrame]) -> [UInt8] {
        var bytes: [UInt8] = Array("DKIF".utf8)
        append(UInt16(0), to: &bytes)  // version
        append(UInt16(32), to: &bytes)  // header size
        bytes += Array("VP80".utf8)
        append(UInt16(width), to: &bytes)
        append(UInt16(height), to: &bytes)
        append(timebaseDenominator, to: &bytes)
        append(UInt32(1), to: &bytes)  // timebase numerator
        append(UInt32(frames.count), to: &bytes)
        append(UInt32(0), to: &bytes)  // unused
        for frame in frames {
            append(UInt32(frame.data.count), to: &bytes)
            append(UInt64(frame.pts), to: &bytes)
            bytes += frame.data
        }
        return bytes
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

/// The tile's own media muxed into WebM by the recorder's writer, the way the bot would record itself.
enum TileWebM {
    static let videoTrack: UInt64 = 1
    static let audioTrack: UInt64 = 2

    static func write(
        to url: URL, video: [(EncodedFrame, milliseconds: Int64)] = [], audio: [([UInt8], milliseconds: Int64)] = [],
        width: Int = 320, height: Int = 180, channels: Int = 2, preSkip: Int = 0
    ) throws {
        var tracks: [WebMTrackDescription] = []
        if !video.isEmpty { tracks.append(.video(number: videoTrack, codec: .vp8, width: width, height: height)) }
        if !audio.isEmpty { tracks.append(.opus(number: audioTrack, channels: channels, preSkip: UInt16(preSkip))) }
        var writer = try WebMWriter(tracks: tracks, writingApp: "TileTests")
        var bytes = writer.header()
        // Interleaved by time, as a live recorder receives them.
        var blocks: [(milliseconds: Int64, track: UInt64, data: [UInt8], keyframe: Bool)] = []
        blocks += video.map { ($0.milliseconds, videoTrack, $0.0.data, $0.0.isKeyframe) }
        blocks += audio.map { ($0.milliseconds, audioTrack, $0.0, true) }
        blocks.sort { ($0.milliseconds, $0.track) < ($1.milliseconds, $1.track) }
        for block in blocks {
            bytes += try writer.append(
                frame: block.data, track: block.track, timestampMilliseconds: block.milliseconds, keyframe: block.keyframe)
        }
        try Data(bytes).write(to: url)
    }
}
