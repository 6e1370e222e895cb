import CEngageWebMParser

/// libwebm's view of a file, as Swift values: the independent reader our files are checked against.
struct LibWebMSummary {
    struct Track {
        var number: UInt64
        var type: UInt64
        var codecID: String
        var width: UInt64
        var height: UInt64
        var samplingFrequency: Double
        var channels: UInt64
        var codecDelay: UInt64
        var seekPreRoll: UInt64
        var codecPrivateLength: UInt64
        var blocks: UInt64
        var keyframes: UInt64
        var frames: UInt64
        var frameBytes: UInt64
        var firstTimestampMilliseconds: Int64
        var lastTimestampMilliseconds: Int64
        var decreasingTimestamps: UInt64
    }

    var result: Int32
    var error: String
    var docType: String
    var docTypeVersion: UInt64
    var docTypeReadVersion: UInt64
    var timecodeScale: UInt64
    var writingApp: String
    var clusters: UInt64
    var blocksBeforeClusterStart: UInt64
    var tracks: [Track]
    var status: Int32
    var isParsingError: Bool
    var position: UInt64

    func track(_ number: UInt64) -> Track? { tracks.first { $0.number == number } }

    init(path: String) {
        var summary = CEngageWebMSummary()
        var errorBuffer = [CChar](repeating: 0, count: 256)
        result = CEngageWebMParser_summarize(path, &summary, &errorBuffer, errorBuffer.count)
        error = Self.string(errorBuffer)
        docType = withUnsafeBytes(of: summary.docType) { Self.string(Array($0.bindMemory(to: CChar.self))) }
        docTypeVersion = summary.docTypeVersion
        docTypeReadVersion = summary.docTypeReadVersion
        timecodeScale = summary.timecodeScale
        writingApp = withUnsafeBytes(of: summary.writingApp) { Self.string(Array($0.bindMemory(to: CChar.self))) }
        clusters = summary.clusterCount
        blocksBeforeClusterStart = summary.blocksBeforeClusterStart
        status = summary.status
        isParsingError = summary.isParsingError != 0
        position = summary.position
        let count = min(Int(summary.trackCount), Int(CENGAGE_WEBM_MAX_TRACKS))
        let raw = withUnsafeBytes(of: summary.tracks) { Array($0.bindMemory(to: CEngageWebMTrackSummary.self).prefix(count)) }
        tracks = raw.map { track in
            Track(
                number: track.number, type: track.type,
                codecID: withUnsafeBytes(of: track.codecId) { Self.string(Array($0.bindMemory(to: CChar.self))) },
                width: track.width, height: track.height, samplingFrequency: track.samplingFrequency,
                channels: track.channels, codecDelay: track.codecDelay, seekPreRoll: track.seekPreRoll,
                codecPrivateLength: track.codecPrivateLength, blocks: track.blockCount, keyframes: track.keyframeCount,
                frames: track.frameCount, frameBytes: track.frameBytes,
                firstTimestampMilliseconds: track.firstTimestampMs, lastTimestampMilliseconds: track.lastTimestampMs,
                decreasingTimestamps: track.decreasingTimestamps)
        }
    }

    private static func string(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
