import Foundation

/// Finds marked instants in a recording by decoding it with ffmpeg: the picture turning bright (a
/// flash) and sound starting after silence (a beep). A sender that flashes and beeps at the same
/// instants lets a test measure a file's audio/video offset from pictures and sound, not timestamps.
public enum AVOnsets {
    public static let ffmpeg = "/usr/bin/ffmpeg"

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Flash onsets (the first bright frame after a dark one) and beep onsets (ends of silence), in
    /// seconds of the file's own time.
    public static func measure(_ file: URL) throws -> (video: [Double], audio: [Double]) {
        guard FileManager.default.isExecutableFile(atPath: ffmpeg) else {
            throw Failure(description: "\(ffmpeg) is missing: install ffmpeg (scripts/setup.sh does)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("onsets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let videoLog = directory.appendingPathComponent("video.txt").path
        let audioLog = directory.appendingPathComponent("audio.txt").path
        try run(["-v", "error", "-i", file.path, "-an",
                 "-vf", "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=\(videoLog)", "-f", "null", "-"],
                in: directory)
        try run(["-v", "error", "-i", file.path, "-vn",
                 "-af", "silencedetect=noise=-30dB:duration=0.05,ametadata=print:key=lavfi.silence_end:file=\(audioLog)",
                 "-f", "null", "-"], in: directory)

        var flashes: [Double] = []
        var frameTime: Double?
        var wasBright = false
        for line in try String(contentsOfFile: videoLog, encoding: .utf8).split(separator: "\n") {
            if let range = line.range(of: "pts_time:") {
                frameTime = Double(line[range.upperBound...].prefix { !$0.isWhitespace })
            } else if line.hasPrefix("lavfi.signalstats.YAVG="), let time = frameTime,
                let luma = Double(line.dropFirst("lavfi.signalstats.YAVG=".count))
            {
                let bright = luma > 128
                if bright && !wasBright { flashes.append(time) }
                wasBright = bright
            }
        }
        let beeps = try String(contentsOfFile: audioLog, encoding: .utf8).split(separator: "\n").compactMap { line in
            line.hasPrefix("lavfi.silence_end=") ? Double(line.dropFirst("lavfi.silence_end=".count)) : nil
        }
        return (flashes, beeps)
    }

    /// For each flash, the nearest beep within `window` seconds: video onset minus audio onset.
    public static func offsets(video: [Double], audio: [Double], window: Double = 0.5) -> [Double] {
        video.compactMap { flash in
            audio.map { flash - $0 }.filter { abs($0) <= window }.min { abs($0) < abs($1) }
        }
    }

    private static func run(_ arguments: [String], in directory: URL) throws {
        let errors = directory.appendingPathComponent("stderr-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: errors.path, contents: nil) else {
            throw Failure(description: "cannot create \(errors.path)")
        }
        let handle = try FileHandle(forWritingTo: errors)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw Failure(description: "ffmpeg \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }
}
