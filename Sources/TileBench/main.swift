// Measures what the bot's tile costs per frame on this machine. Not a test: timings depend on load.
// Usage: swift run -c release TileBench [seconds-of-media]
import Foundation
import Mesh
import Tile

let simulatedSeconds = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 60
let clock = ContinuousClock()

func microseconds(_ duration: Duration) -> Double { duration.secondsValue * 1e6 }

func report(_ label: String, total: Duration, count: Int) {
    let each = microseconds(total) / Double(max(count, 1))
    print("\(label): \(count) in \(Int(microseconds(total) / 1000)) ms, \(String(format: "%.1f", each)) µs each")
}

do {
    // The slate alone, with a changing clock so every call redraws.
    var renderer = SlateRenderer()
    let renders = 300
    let renderTime = clock.measure {
        for second in 0..<renders { renderer.render(.init(botName: "EngageBot", elapsedSeconds: second)) }
    }
    report("slate render (320x180)", total: renderTime, count: renders)

    // VP8 at the tile's settings: one redraw every fps frames, like BotTile.
    let fps = 5
    let encoder = try VP8Encoder(width: 320, height: 180, fps: fps, bitrateKbps: 150)
    var deltaTime = Duration.zero, keyTime = Duration.zero
    var deltaCount = 0, keyCount = 0, deltaBytes = 0, keyBytes = 0
    for index in 0..<(simulatedSeconds * fps) {
        renderer.render(.init(botName: "EngageBot", elapsedSeconds: index / fps))
        let frame = renderer.frame
        var produced: [EncodedFrame] = []
        let elapsed = try clock.measure {
            produced = try encoder.encode(frame, pts: Int64(index * 90_000 / fps), forceKeyframe: index % 50 == 0)
        }
        for encoded in produced {
            if encoded.isKeyframe {
                keyTime += elapsed; keyCount += 1; keyBytes += encoded.data.count
            } else {
                deltaTime += elapsed; deltaCount += 1; deltaBytes += encoded.data.count
            }
        }
    }
    report("VP8 keyframe encode", total: keyTime, count: keyCount)
    report("VP8 delta frame encode", total: deltaTime, count: deltaCount)
    print("VP8 sizes: keyframe \(keyBytes / max(keyCount, 1)) B avg, delta \(deltaBytes / max(deltaCount, 1)) B avg")

    for complexity in [10, 5, 1] {
        let opus = try OpusEncoder(complexity: complexity)
        var opusBytes = 0
        let opusCount = simulatedSeconds * 50
        let opusTime = try clock.measure {
            for _ in 0..<opusCount { opusBytes += try opus.encodeSilence().count }
        }
        report("Opus 20 ms silence encode, complexity \(complexity)", total: opusTime, count: opusCount)
        print("Opus: \(opusBytes / opusCount) B avg per packet")
    }

    // The whole tile on virtual time: everything it does for `simulatedSeconds` of media.
    let tile = try BotTile(configuration: .init(botName: "EngageBot"), start: .zero)
    let tileTime = clock.measure {
        var now = Timestamp.zero
        let end = Timestamp.seconds(Double(simulatedSeconds))
        while now < end {
            while tile.poll(at: now) != nil {}
            now = tile.nextDeadline.at
        }
    }
    let stats = tile.statistics
    print("BotTile: \(simulatedSeconds) s of media (\(stats.videoFrames) video, \(stats.audioFrames) audio, \(stats.renders) renders)"
        + " in \(Int(microseconds(tileTime) / 1000)) ms = \(String(format: "%.2f", 100 * tileTime.secondsValue / Double(simulatedSeconds)))% of one core")
} catch {
    print("benchmark failed: \(error)")
}
