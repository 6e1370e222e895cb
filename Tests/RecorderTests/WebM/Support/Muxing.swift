import Foundation
import Recorder

/// Real encoder output, muxed by `WebMWriter` into a file the way the recorder will write it.
struct MuxedRecording {
    var url: URL
    var bytes: [UInt8]
    var videoFrames = 0
    var videoKeyframes = 0
    var audioPackets = 0
    /// Byte offset and timestamp of every Cluster the writer opened.
    var clusters: [(offset: Int, timestampMilliseconds: Int64)] = []
    /// Where each SimpleBlock ends, to know which blocks a truncated file still holds whole.
    var blockEnds: [(track: UInt64, end: Int)] = []
    var statistics = WebMWriterStatistics()
    /// What the writer kept while writing, and what it returned on finalizing.
    var layout = WebMLayout()
    var finalization: WebMFinalization?
    /// The live bytes with the finalization applied, as the file edge does on a clean close.
    var finalizedBytes: [UInt8] { finalization.map { $0.applied(to: bytes) } ?? bytes }

    static let videoTrack: UInt64 = 1
    static let audioTrack: UInt64 = 2

    /// Interleaves both inputs by timestamp (audio first on ties) and appends them frame by frame.
    static func mux(video: IVFFile?, videoCodec: WebMCodec, audio: OggOpusFile?, to url: URL) throws -> MuxedRecording {
        var tracks: [WebMTrackDescription] = []
        if let video { tracks.append(.video(number: videoTrack, codec: videoCodec, width: video.width, height: video.height)) }
        if let audio {
            let head = try OpusHead.parse(audio.head)
            tracks.append(.opus(number: audioTrack, channels: head.channels, preSkip: head.preSkip, inputSampleRate: head.inputSampleRate))
        }
        var writer = try WebMWriter(tracks: tracks, writingApp: "RecorderTests", dateUnixMilliseconds: 1_700_000_000_000)
        var recording = MuxedRecording(url: url, bytes: writer.header())

        struct Item { var track: UInt64; var timestamp: Int64; var key: Bool; var bytes: [UInt8] }
        var items: [Item] = []
        for frame in video?.frames ?? [] {
            let key = video?.isKeyframe(frame) ?? false
            items.append(Item(track: videoTrack, timestamp: frame.timestampMilliseconds, key: key, bytes: frame.bytes))
        }
        for packet in audio?.packets ?? [] {
            items.append(Item(track: audioTrack, timestamp: packet.timestampMilliseconds, key: true, bytes: packet.bytes))
        }
        // Stable sort keeps each track's own order; the tie-break only decides between tracks.
        let ordered = items.enumerated().sorted {
            ($0.element.timestamp, $0.element.track == audioTrack ? 0 : 1, $0.offset)
                < ($1.element.timestamp, $1.element.track == audioTrack ? 0 : 1, $1.offset)
        }.map(\.element)

        for item in ordered {
            let clustersBefore = writer.statistics.clusters
            let offset = recording.bytes.count
            recording.bytes += try writer.append(
                frame: item.bytes, track: item.track, timestampMilliseconds: item.timestamp, keyframe: item.key)
            recording.blockEnds.append((item.track, recording.bytes.count))
            if writer.statistics.clusters > clustersBefore {
                recording.clusters.append((offset, item.timestamp))
            }
            if item.track == videoTrack {
                recording.videoFrames += 1
                if item.key { recording.videoKeyframes += 1 }
            } else {
                recording.audioPackets += 1
            }
        }
        recording.statistics = writer.statistics
        recording.layout = writer.layout
        recording.finalization = writer.finalize()
        try Data(recording.bytes).write(to: url)
        return recording
    }
}
