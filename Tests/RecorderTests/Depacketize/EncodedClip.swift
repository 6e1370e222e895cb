import Foundation
import Mesh

/// Real VP8/VP9 frames, encoded by ffmpeg at test time, with ffprobe's keyframe flags as an
/// oracle independent of our own bitstream parsing.
struct EncodedClip: Sendable {
    struct Frame: Sendable {
        var data: [UInt8]
        var isKeyframe: Bool
    }

    var width: Int
    var height: Int
    var frames: [Frame]

    enum Failure: Error { case tool(String), ivf(String) }

    static let vp8 = Result { try encode(codec: ["-c:v", "libvpx"], name: "vp8") }
    static let vp9 = Result {
        try encode(codec: ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"], name: "vp9")
    }

    /// 2 s of 320x240 at 15 fps, a keyframe every 10 frames, no hidden alt-ref frames
    /// (as a real-time WebRTC encoder sends).
    static func encode(codec: [String], name: String) throws -> EncodedClip {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("engagebot-rtp-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("clip.ivf").path
        try run(
            "ffmpeg",
            ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", "2"] + codec
                + ["-b:v", "300k", "-lag-in-frames", "0", "-auto-alt-ref", "0", "-g", "10", "-f", "ivf", file])
        let flags = try run(
            "ffprobe", ["-v", "error", "-show_entries", "packet=flags", "-of", "csv=p=0", file],
            output: directory.appendingPathComponent("flags.csv"))
            .split(separator: "\n").map { $0.hasPrefix("K") }
        var clip = try parseIVF(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        guard flags.count == clip.frames.count else {
            throw Failure.ivf("ffprobe saw \(flags.count) packets, IVF has \(clip.frames.count)")
        }
        for index in clip.frames.indices { clip.frames[index].isKeyframe = flags[index] }
        return clip
    }

    /// Runs a tool with its output going to a file: reading a pipe through FileHandle traps on
    /// EINTR under the parallel test runner.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], output: URL? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        if let output {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: output)
        }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure.tool("\(tool) exited \(process.terminationStatus)") }
        guard let output else { return "" }
        return String(decoding: try Data(contentsOf: output), as: UTF8.self)
    }

    /// IVF: a 32-byte "DKIF" header, then frames of (size LE32, pts LE64, data).
    static func parseIVF(_ bytes: [UInt8]) throws -> EncodedClip {
        func little(_ offset: Int, _ count: Int) throws -> Int {
            guard offset + count <= bytes.count else { throw Failure.ivf("truncated at \(offset)") }
            return (0..<count).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        guard bytes.starts(with: Array("DKIF".utf8)) else { throw Failure.ivf("no DKIF signature") }
        let headerSize = try little(6, 2)
        var clip = EncodedClip(width: try little(12, 2), height: try little(14, 2), frames: [])
        var offset = headerSize
        while offset < bytes.count {
            let size = try little(offset, 4)
            offset += 12
            guard offset + size <= bytes.count else { throw Failure.ivf("frame cut at \(offset)") }
            clip.frames.append(Frame(data: Array(bytes[offset..<offset + size]), isKeyframe: false))
            offset += size
        }
        return clip
    }

    /// RTP packets for the whole clip from per-frame payload lists, 90 kHz at 15 fps.
    static func packets(
        _ payloads: [[[UInt8]]], firstSequence: UInt16 = 65000, ssrc: UInt32 = 0x1234
    ) -> [RTPPacket] {
        var packets: [RTPPacket] = []
        var sequence = firstSequence
        for (frameIndex, framePayloads) in payloads.enumerated() {
            for (index, payload) in framePayloads.enumerated() {
                packets.append(RTPPacket(
                    payloadType: 96, sequenceNumber: sequence, timestamp: UInt32(frameIndex * 6000) &+ 1000,
                    ssrc: ssrc, marker: index == framePayloads.count - 1, payload: payload[...]))
                sequence &+= 1
            }
        }
        return packets
    }
}

/// Splits `data` into pieces of at most `size` bytes.
func chunks(_ data: [UInt8], of size: Int) -> [ArraySlice<UInt8>] {
    stride(from: 0, to: data.count, by: size).map { data[$0..<min($0 + size, data.count)] }
}

/// RFC 7741 descriptor shapes beyond what `VP8Packetizer` sends, to exercise the parser.
enum VP8DescriptorShape: CaseIterable {
    /// One byte, no extensions (X=0).
    case minimal
    /// X with a 7-bit picture ID, TL0PICIDX and TID/KEYIDX.
    case everyExtension

    func packetize(_ frame: [UInt8], index: Int, maxPayload: Int) -> [[UInt8]] {
        let descriptorLength = self == .minimal ? 1 : 5
        return chunks(frame, of: maxPayload - descriptorLength).enumerated().map { position, chunk in
            let start: UInt8 = position == 0 ? 0x10 : 0
            switch self {
            case .minimal:
                return [start] + chunk
            case .everyExtension:
                return [0x80 | start, 0xF0, UInt8(index & 0x7F), UInt8(index & 0xFF), 0x40 | UInt8(index & 0x1F)]
                    + chunk
            }
        }
    }
}

/// An RFC 9628 sender for tests: picture ID, optional layer indices, flexible or not, SS on
/// keyframes optional.
struct VP9TestPacketizer {
    var flexible = false
    var scalabilityStructure = true
    var layerIndices = false

    func packetize(_ frame: [UInt8], keyframe: Bool, index: Int, width: Int, height: Int, maxPayload: Int)
        -> [[UInt8]]
    {
        var payloads: [[UInt8]] = []
        let pieces = chunks(frame, of: maxPayload - 16)
        for (position, chunk) in pieces.enumerated() {
            var first: UInt8 = 0x80  // I
            if !keyframe { first |= 0x40 }
            if layerIndices { first |= 0x20 }
            if flexible { first |= 0x10 }
            if position == 0 { first |= 0x08 }
            if position == pieces.count - 1 { first |= 0x04 }
            let withSS = keyframe && position == 0 && scalabilityStructure
            if withSS { first |= 0x02 }
            var payload: [UInt8] = [first, 0x80 | UInt8(index >> 8 & 0x7F), UInt8(index & 0xFF)]
            if layerIndices {
                payload.append(0x00)  // TID 0, SID 0
                if !flexible { payload.append(UInt8(index & 0xFF)) }
            }
            if flexible, !keyframe { payload += [0x03, 0x04] }  // P_DIFF 1 with N, then 2
            if withSS {
                payload += [0x18, UInt8(width >> 8), UInt8(width & 0xFF), UInt8(height >> 8), UInt8(height & 0xFF)]
                payload += [0x01, 0x04, 0x01]  // one picture group: TID 0, one reference of 1
            }
            payloads.append(payload + chunk)
        }
        return payloads
    }
}
