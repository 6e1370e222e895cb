import Foundation
import Testing
import Tile

struct OpusEncoderTests {
    @Test func silenceBecomesDTXPackets() throws {
        let encoder = try OpusEncoder()
        let packets = try (0..<50).map { _ in try encoder.encodeSilence() }
        #expect(packets.allSatisfy { !$0.isEmpty && $0.count < 200 })
        // After a short hangover libopus stops coding silence and sends bare TOC bytes.
        #expect(packets.suffix(20).filter(OpusEncoder.isDiscontinuous).count >= 15)
        #expect(encoder.lookahead > 0 && encoder.lookahead < 960)
    }

    @Test func rejectsAnythingButTwentyMilliseconds() throws {
        let stereo = try OpusEncoder(channels: 2)
        #expect(throws: OpusEncoderError.wrongSampleCount(expected: 1920, got: 960)) {
            try stereo.encode(pcm: [Int16](repeating: 0, count: 960))
        }
        let mono = try OpusEncoder(channels: 1)
        #expect(try mono.encode(pcm: [Int16](repeating: 0, count: 960)).count > 0)
        #expect(throws: OpusEncoderError.self) { try OpusEncoder(channels: 3) }
    }
}

@Suite
struct OpusEncoderMediaTests {
    /// A tone then silence, so both coded speech and DTX packets go through ffmpeg's Opus decoder.
    @Test(arguments: [1, 2])
    func packetsDecodeCleanlyFromWebM(channels: Int) throws {
        let encoder = try OpusEncoder(channels: channels)
        var packets: [([UInt8], milliseconds: Int64)] = []
        for index in 0..<100 {
            var pcm = [Int16](repeating: 0, count: 960 * channels)
            if index < 25 {
                for sample in 0..<960 {
                    let value = Int16(8000 * sin(2 * Double.pi * 440 * Double(index * 960 + sample) / 48_000))
                    for channel in 0..<channels { pcm[sample * channels + channel] = value }
                }
            }
            packets.append((try encoder.encode(pcm: pcm), milliseconds: Int64(index * 20)))
        }
        #expect(packets.contains { OpusEncoder.isDiscontinuous($0.0) })

        let directory = try MediaCheck.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let webm = directory.appendingPathComponent("audio.webm")
        try TileWebM.write(to: webm, audio: packets, channels: channels, preSkip: encoder.lookahead)
        #expect(try MediaCheck.decodeErrors(webm) == "")
        #expect(try MediaCheck.probe(webm, ["-show_entries", "stream=codec_name,sample_rate,channels"])
            == ["codec_name=opus", "sample_rate=48000", "channels=\(channels)"])
        let decodedPackets = try MediaCheck.probe(webm, ["-count_packets", "-show_entries", "stream=nb_read_packets"])
        #expect(decodedPackets == ["nb_read_packets=100"])
    }
}
