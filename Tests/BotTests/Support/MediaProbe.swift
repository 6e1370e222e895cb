import Foundation

/// What ffmpeg and ffprobe, independent readers, say about a recording.
struct MediaProbe {
    struct Stream {
        var codec: String
        var kind: String
        var width: Int?
        var height: Int?
        var packets: Int
        /// From the first packet's start to the last packet's end: live files carry no duration field.
        var seconds: Double
    }

    var streams: [Stream]
    /// What ffmpeg printed decoding every frame (`-v error ... -f null -`): empty for a clean decode.
    var decodeErrors: String

    func stream(_ kind: String) -> Stream? { streams.first { $0.kind == kind } }

    /// How many video frames ffprobe decodes from the file's first video stream.
    static func decodedVideoFrames(_ file: URL) throws -> Int {
        let count = try Processes.run("/usr/bin/ffprobe", [
            "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames",
            "-of", "csv=p=0", file.path])
        guard count.status == 0, let frames = Int(count.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("ffprobe could not count the frames of \(file.path): \(count.standardOutput) \(count.standardError)")
        }
        return frames
    }

    static func probe(_ file: URL) throws -> MediaProbe {
        // `-enc_time_base -1`: frames pass through on the file's own time base. By default ffmpeg 5.1 puts them
        // on a 1/r_frame_rate grid (1/15 s for a 15 fps camera) and notes every pair of jittered frames that
        // round to one tick ("non monotonically increasing dts to muxer"), which says nothing of the file.
        // Decoder errors are reported either way.
        let decode = try Processes.run("/usr/bin/ffmpeg", [
            "-nostdin", "-v", "error", "-i", file.path, "-enc_time_base", "-1", "-f", "null", "-"])
        let info = try Processes.run("/usr/bin/ffprobe", [
            "-v", "error", "-show_entries", "stream=index,codec_name,codec_type,width,height", "-of", "json", file.path])
        let packets = try Processes.run("/usr/bin/ffprobe", [
            "-v", "error", "-show_entries", "packet=stream_index,pts_time,duration_time", "-of", "json", file.path])
        guard info.status == 0, packets.status == 0 else {
            throw TestFailure("ffprobe failed on \(file.path): \(info.standardError) \(packets.standardError)")
        }
        let streamList = (try JSONSerialization.jsonObject(with: Data(info.standardOutput.utf8)) as? [String: Any])?["streams"]
            as? [[String: Any]] ?? []
        let packetList = (try JSONSerialization.jsonObject(with: Data(packets.standardOutput.utf8)) as? [String: Any])?["packets"]
            as? [[String: Any]] ?? []
        var streams: [Stream] = []
        for entry in streamList {
            let index = entry["index"] as? Int ?? -1
            let mine = packetList.filter { $0["stream_index"] as? Int == index }
            let starts = mine.compactMap { ($0["pts_time"] as? String).flatMap(Double.init) }
            let ends = mine.compactMap { packet -> Double? in
                guard let start = (packet["pts_time"] as? String).flatMap(Double.init) else { return nil }
                return start + ((packet["duration_time"] as? String).flatMap(Double.init) ?? 0)
            }
            streams.append(Stream(codec: entry["codec_name"] as? String ?? "?", kind: entry["codec_type"] as? String ?? "?",
                                  width: entry["width"] as? Int, height: entry["height"] as? Int, packets: mine.count,
                                  seconds: (ends.max() ?? 0) - (starts.min() ?? 0)))
        }
        return MediaProbe(streams: streams, decodeErrors: decode.standardError + (decode.status == 0 ? "" : "exit \(decode.status)"))
    }
}
