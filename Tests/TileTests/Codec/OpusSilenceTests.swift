import Foundation
import Testing
import Tile

/// The tile's silence: once libopus's output repeats, the cycle stands in for the encoder, byte for byte.
struct OpusSilenceTests {
    @Test func settlesIntoTheEncodersOwnCycleAndStaysByteForByteTheSame() throws {
        let silence = try OpusSilence(channels: 2, bitrate: 32_000, complexity: 1)
        let live = try OpusEncoder(channels: 2, bitrate: 32_000, complexity: 1)
        var differences = 0
        for _ in 0..<1_500 where try silence.next() != live.encodeSilence() { differences += 1 }
        #expect(differences == 0, "\(differences) of 1,500 packets differ from the encoder's own")
        let period = try #require(silence.settledPeriod, "libopus's silence never repeated")
        // It settles once a 12 s window follows one period, and then stops encoding.
        #expect(silence.encodedFrames <= 700, "encoded \(silence.encodedFrames) frames, period \(period)")
        #expect(silence.lookahead == live.lookahead)
    }

    /// ffmpeg decodes 30 s of it, the cycle taking over early on, as digital silence without an error.
    @Test func decodesAsSilence() throws {
        let silence = try OpusSilence(channels: 2, bitrate: 32_000, complexity: 1)
        let packets = try (0..<1_500).map { (try silence.next(), milliseconds: Int64($0 * 20)) }
        #expect(silence.settledPeriod != nil)
        let directory = try MediaCheck.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let webm = directory.appendingPathComponent("silence.webm")
        try TileWebM.write(to: webm, audio: packets, channels: 2, preSkip: silence.lookahead)
        #expect(try MediaCheck.decodeErrors(webm) == "")
        let result = try MediaCheck.run(MediaCheck.ffmpeg, ["-i", webm.path, "-af", "volumedetect", "-f", "null", "-"])
        #expect(result.status == 0)
        let peak = result.stderr.split(separator: "\n").first { $0.contains("max_volume:") }
        let decibels = peak.flatMap { $0.split(separator: " ").dropLast().last }.flatMap { Double($0) }
        // Comfort noise may carry a trace of level; a voice or a glitch would be tens of dB louder.
        #expect(decibels.map { $0 <= -60 } ?? false, "peak \(peak.map(String.init) ?? "not reported")")
    }
}
