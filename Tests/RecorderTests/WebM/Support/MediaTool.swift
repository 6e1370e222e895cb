import Foundation

/// Runs the system's ffmpeg tools; the real-media tests are skipped where they are not installed.
enum MediaTool {
    static let ffmpeg = "/usr/bin/ffmpeg"
    static let ffprobe = "/usr/bin/ffprobe"
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: ffmpeg) && FileManager.default.isExecutableFile(atPath: ffprobe)
    }

    /// Decodes every frame and reports only what is wrong: `-enc_time_base -1` passes frames through on
    /// the file's own time base. By default ffmpeg 5.1 puts them on a 1/r_frame_rate grid (1/15 s for a
    /// 15 fps camera) and notes every pair of jittered frames that round to one tick ("non monotonically
    /// increasing dts to muxer"), which says nothing of the file. Decoder errors are reported either way.
    static func decodeArguments(_ path: String) -> [String] {
        ["-v", "error", "-i", path, "-enc_time_base", "-1", "-f", "null", "-"]
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Output goes through files rather than pipes so a chatty tool can never block on a full pipe.
    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
            FileManager.default.createFile(atPath: errURL.path, contents: nil)
        else { throw ToolError("cannot create output files in \(directory.path)") }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("engage-webm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Encodes 3 s of synthetic media the way the recorder will receive it: raw codec frames.
    static func generate(_ arguments: [String]) throws {
        let result = try run(ffmpeg, ["-v", "error", "-y"] + arguments)
        guard result.status == 0 else { throw ToolError("ffmpeg \(arguments.joined(separator: " ")): \(result.stderr)") }
    }
}

struct ToolError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
