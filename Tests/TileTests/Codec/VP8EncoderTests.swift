import Foundation
import Testing
import Tile

struct VP8EncoderTests {
    /// 20 frames at 5 fps with the clock ticking once a second, as the tile sends them.
    static func encodeSlate(frames: Int = 20, fps: Int = 5, forceKeyframeAt: Set<Int> = []) throws -> [EncodedFrame] {
        let encoder = try VP8Encoder(width: 320, height: 180, fps: fps, bitrateKbps: 150)
        var renderer = SlateRenderer()
        var encoded: [EncodedFrame] = []
        for index in 0..<frames {
            renderer.render(.init(botName: "EngageBot", elapsedSeconds: 754 + index / fps))
            encoded += try encoder.encode(
                renderer.frame, pts: Int64(index * 90_000 / fps), forceKeyframe: forceKeyframeAt.contains(index))
        }
        return encoded
    }

    /// Independent of libvpx's flag: a VP8 keyframe has bit 0 of the frame tag clear and the start code 9d 01 2a.
    static func looksLikeKeyframe(_ data: [UInt8]) -> Bool {
        data.count >= 10 && data[0] & 1 == 0 && data[3...5].elementsEqual([0x9D, 0x01, 0x2A])
    }

    @Test func emitsOneFramePerInputStartingWithAKeyframe() throws {
        let frames = try Self.encodeSlate()
        #expect(frames.count == 20)
        #expect(frames.first?.isKeyframe == true)
        #expect(frames.map(\.pts) == (0..<20).map { Int64($0 * 18_000) })
        #expect(frames.allSatisfy { $0.isKeyframe == Self.looksLikeKeyframe($0.data) })
        // An unchanged slate is nearly free; well under 150 kbps at 5 fps (3,750 bytes a frame).
        let deltas = frames.filter { !$0.isKeyframe }
        #expect(!deltas.isEmpty && deltas.allSatisfy { $0.data.count < 3_750 })
    }

    @Test func forcedKeyframeIsAKeyframe() throws {
        let frames = try Self.encodeSlate(forceKeyframeAt: [7, 13])
        #expect(frames[7].isKeyframe && Self.looksLikeKeyframe(frames[7].data))
        #expect(frames[13].isKeyframe && Self.looksLikeKeyframe(frames[13].data))
        #expect(!frames[6].isKeyframe && !frames[8].isKeyframe)
    }

    @Test func keyframesRecurWithoutRequestsWithinTheInterval() throws {
        // 3 s at 5 fps: at most 15 frames from one keyframe to the next.
        let frames = try Self.encodeSlate(frames: 50)
        let keyframes = frames.indices.filter { frames[$0].isKeyframe }
        #expect(keyframes.first == 0)
        #expect(zip(keyframes, keyframes.dropFirst() + [frames.count]).allSatisfy { $1 - $0 <= 15 }, "keyframes at \(keyframes)")
    }

    @Test func rejectsAFrameOfTheWrongSize() throws {
        let encoder = try VP8Encoder(width: 320, height: 180, fps: 5, bitrateKbps: 150)
        #expect(throws: VP8EncoderError.frameSizeMismatch(expectedWidth: 320, expectedHeight: 180, width: 160, height: 90)) {
            try encoder.encode(I420Frame(width: 160, height: 90), pts: 0)
        }
    }

    @Test func rejectsImpossibleConfigurations() {
        #expect(throws: VP8EncoderError.self) { try VP8Encoder(width: 0, height: 180, fps: 5, bitrateKbps: 150) }
        #expect(throws: VP8EncoderError.self) { try VP8Encoder(width: 320, height: 180, fps: 0, bitrateKbps: 150) }
    }

    @Test func encodesOddSizes() throws {
        let encoder = try VP8Encoder(width: 161, height: 91, fps: 5, bitrateKbps: 100)
        var renderer = SlateRenderer(width: 161, height: 91)
        renderer.render(.init(botName: "EngageBot", elapsedSeconds: 1))
        let frames = try encoder.encode(renderer.frame, pts: 0)
        #expect(frames.count == 1 && frames[0].isKeyframe)
    }
}

/// ffmpeg's VP8 decoder as an independent judge of the encoder's output.
@Suite
struct VP8EncoderMediaTests {
    @Test func twentyFramesDecodeCleanlyAt320x180() throws {
        let frames = try VP8EncoderTests.encodeSlate(forceKeyframeAt: [12])
        let directory = try MediaCheck.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        let ivf = directory.appendingPathComponent("slate.ivf")
        try Data(IVF.file(width: 320, height: 180, timebaseDenominator: 90_000, frames: frames)).write(to: ivf)
        #expect(try MediaCheck.decodeErrors(ivf) == "")
        #expect(try MediaCheck.probe(ivf, ["-show_entries", "stream=codec_name,width,height"])
            == ["codec_name=vp8", "width=320", "height=180"])
        let keyframes = try MediaCheck.probe(ivf, ["-show_entries", "frame=key_frame", "-select_streams", "v"])
        #expect(keyframes.count == 20)
        #expect(keyframes.indices.filter { keyframes[$0] == "key_frame=1" } == frames.indices.filter { frames[$0].isKeyframe })
        #expect(keyframes[12] == "key_frame=1")

        let webm = directory.appendingPathComponent("slate.webm")
        try TileWebM.write(to: webm, video: frames.map { ($0, milliseconds: $0.pts / 90) })
        #expect(try MediaCheck.decodeErrors(webm) == "")
        #expect(try MediaCheck.probe(webm, ["-show_entries", "stream=codec_name,width,height"])
            == ["codec_name=vp8", "width=320", "height=180"])
    }

    /// Leaves a PNG of the slate in the temporary directory when TILE_SLATE_PNG names a path, for a human to look at.
    @Test func decodedSlateKeepsTheRecordDotRed() throws {
        let frames = try VP8EncoderTests.encodeSlate()
        let directory = try MediaCheck.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let ivf = directory.appendingPathComponent("slate.ivf")
        try Data(IVF.file(width: 320, height: 180, timebaseDenominator: 90_000, frames: frames)).write(to: ivf)

        let raw = directory.appendingPathComponent("last.yuv")
        let extract = try MediaCheck.run(
            MediaCheck.ffmpeg, ["-v", "error", "-i", ivf.path, "-vf", "select=eq(n\\,19)", "-frames:v", "1",
                                "-f", "rawvideo", "-pix_fmt", "yuv420p", raw.path])
        #expect(extract.status == 0, "\(extract.stderr)")
        let decoded = [UInt8](try Data(contentsOf: raw))
        #expect(decoded.count == 320 * 180 * 3 / 2)
        guard decoded.count == 320 * 180 * 3 / 2 else { return }
        // The dot's centre, through a lossy codec: chroma still well into red.
        let chroma = 320 * 180 + (26 / 2) * 160 + 26 / 2
        #expect(decoded[chroma + 160 * 90] > 190 && decoded[chroma] < 120)

        if let path = ProcessInfo.processInfo.environment["TILE_SLATE_PNG"] {
            let png = try MediaCheck.run(
                MediaCheck.ffmpeg, ["-v", "error", "-y", "-i", ivf.path, "-vf", "select=eq(n\\,19)", "-frames:v", "1", path])
            #expect(png.status == 0, "\(png.stderr)")
        }
    }
}
