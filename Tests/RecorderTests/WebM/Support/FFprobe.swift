import Foundation

/// What ffmpeg's demuxer sees in a file, per stream: live files carry no Duration, so a stream's
/// duration is measured from its packets (first pts to last pts + duration), as a player would.
struct FFprobeStreams {
    struct Stream {
        var codec: String
        var packets = 0
        var firstPTS = Double.infinity
        var end = 0.0
        var duration: Double { packets == 0 ? 0 : end - firstPTS }
    }

    var streams: [Stream] = []

    init(path: String) throws {
        let info = try MediaTool.run(
            MediaTool.ffprobe, ["-v", "error", "-show_entries", "stream=index,codec_name", "-of", "csv=p=0", path])
        guard info.status == 0 else { throw ToolError("ffprobe streams: \(info.stderr)") }
        for line in info.stdout.split(separator: "\n") {
            let fields = line.split(separator: ",")
            guard fields.count >= 2, Int(fields[0]) == streams.count else { throw ToolError("ffprobe stream line \(line)") }
            streams.append(Stream(codec: String(fields[1])))
        }
        let packets = try MediaTool.run(
            MediaTool.ffprobe,
            ["-v", "error", "-show_entries", "packet=stream_index,pts_time,duration_time", "-of", "csv=p=0", path])
        guard packets.status == 0 else { throw ToolError("ffprobe packets: \(packets.stderr)") }
        for line in packets.stdout.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 3, let index = Int(fields[0]), streams.indices.contains(index),
                let pts = Double(fields[1])
            else { throw ToolError("ffprobe packet line \(line)") }
            let duration = Double(fields[2]) ?? 0
            streams[index].packets += 1
            streams[index].firstPTS = min(streams[index].firstPTS, pts)
            streams[index].end = max(streams[index].end, pts + duration)
        }
    }
}
