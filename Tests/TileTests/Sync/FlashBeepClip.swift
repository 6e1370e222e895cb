import Foundation
import MediaInspection
import Mesh
import Recorder
import Tile

/// A sender's media with marked instants: at each `eventSeconds` the picture flashes white and a
/// 1 kHz beep starts, both for 100 ms. Decoding a recording and finding the flash and beep onsets
/// measures its audio/video offset from pictures and sound, not from timestamps.
struct FlashBeepClip {
    static let eventSeconds: [Double] = [1.0, 2.5, 4.0]
    static let seconds = 5.5
    static let width = 160, height = 120, fps = 30

    struct Frame {
        /// Capture time from the clip's start, in nanoseconds.
        var captureNanoseconds: Int64
        var data: [UInt8]
        var isKeyframe: Bool
    }

    var video: [Frame] = []
    var audio: [Frame] = []

    static func make() throws -> FlashBeepClip {
        var clip = FlashBeepClip()
        // A keyframe every second, so a late joiner's video starts soon.
        let encoder = try VP8Encoder(width: width, height: height, fps: fps, bitrateKbps: 300, keyframeIntervalSeconds: 1)
        let frameCount = Int(seconds * Double(fps))
        for index in 0..<frameCount {
            let time = Double(index) / Double(fps)
            let lit = eventSeconds.contains { time >= $0 - 1e-9 && time < $0 + 0.1 }
            let picture = I420Frame(width: width, height: height, fill: lit ? .white : .black)
            for encoded in try encoder.encode(picture, pts: Int64(index) * 3000) {
                clip.video.append(Frame(captureNanoseconds: encoded.pts * 1_000_000_000 / 90_000,
                                        data: encoded.data, isKeyframe: encoded.isKeyframe))
            }
        }
        let opus = try OpusEncoder(channels: 1)
        let samplesPerPacket = 960
        let packetCount = Int(seconds * 50)
        for index in 0..<packetCount {
            var pcm = [Int16](repeating: 0, count: samplesPerPacket)
            for sample in 0..<samplesPerPacket {
                let time = Double(index * samplesPerPacket + sample) / 48_000
                if eventSeconds.contains(where: { time >= $0 && time < $0 + 0.1 }) {
                    pcm[sample] = Int16(12_000 * sin(2 * Double.pi * 1000 * time))
                }
            }
            clip.audio.append(Frame(captureNanoseconds: Int64(index) * 20_000_000, data: try opus.encode(pcm: pcm),
                                    isKeyframe: true))
        }
        return clip
    }
}

extension YUVColor {
    static var white: YUVColor { YUVColor(y: 235, u: 128, v: 128) }
}
