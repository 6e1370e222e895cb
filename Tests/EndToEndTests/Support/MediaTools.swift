import Foundation

/// ffmpeg and ffprobe as independent judges of a recording. A missing tool is an error, never a skip.
enum MediaTools {
    static let ffmpeg = "/usr/bin/ffmpeg"
    static let ffprobe = "/usr/bin/ffprobe"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `ffmpeg -v error -i FILE -enc_time_base -1 -f null -`: a clean decode prints nothing. Frames pass on the
    /// file's own time base: recordings keep the sender's true, jittered frame times, which ffmpeg's default
    /// 1/frame-rate grid would report as equal timestamps (not a decoding problem).
    static func decodeErrors(_ url: URL) throws -> String {
        let (status, _, errors) = try run(ffmpeg, ["-v", "error", "-i", url.path, "-enc_time_base", "-1", "-f", "null", "-"])
        return status == 0 ? errors : "exit \(status): \(errors)"
    }

    /// Frames of the first video stream, counted by decoding them.
    static func decodedVideoFrames(_ url: URL) throws -> Int {
        let lines = try probe(url, ["-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames"])
        guard let line = lines.first(where: { $0.hasPrefix("nb_read_frames=") }),
              let count = Int(line.dropFirst("nb_read_frames=".count))
        else { throw Failure(description: "ffprobe gave no frame count: \(lines)") }
        return count
    }

    /// The first video stream's packets in file order: presentation time in milliseconds and keyframe flag.
    static func videoPackets(_ url: URL) throws -> [(milliseconds: Int64, keyframe: Bool)] {
        let lines = try probe(url, ["-select_streams", "v:0", "-show_entries", "packet=pts,flags"])
        var packets: [(Int64, Bool)] = []
        var pts: Int64?
        for line in lines {
            if line.hasPrefix("pts=") {
                pts = Int64(line.dropFirst(4))
            } else if line.hasPrefix("flags="), let value = pts {
                packets.append((value, line.dropFirst(6).contains("K")))
                pts = nil
            }
        }
        return packets
    }

    static func probe(_ url: URL, _ arguments: [String]) throws -> [String] {
        let (status, output, errors) = try run(ffprobe, ["-v", "error"] + arguments + ["-of", "default=noprint_wrappers=1", url.path])
        guard status == 0 else { throw Failure(description: "ffprobe \(arguments): \(errors)") }
        return output.split(separator: "\n").map(String.init)
    }

    /// Captures through files, not pipes, so a tool that writes a lot cannot stall on a full pipe buffer.
    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String, String) {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure(description: "\(executable) is missing: install ffmpeg (scripts/setup.sh)")
        }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
              FileManager.default.createFile(atPath: errURL.path, contents: nil)
        else { throw Failure(description: "cannot create capture files in \(directory.path)") }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
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
        return (process.terminationStatus, String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("engage-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
