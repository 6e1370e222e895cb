internal import CEngageOpus

public enum OpusEncoderError: Error, Equatable, Sendable {
    case invalidConfiguration(String)
    /// libopus refused: the operation and libopus's error string.
    case codec(operation: String, message: String)
    case wrongSampleCount(expected: Int, got: Int)
}

/// A libopus encoder for the bot's own audio: 48 kHz, VoIP mode, 20 ms frames, DTX on.
///
/// With DTX, once the input has been silent for a while libopus emits 1-byte packets (a TOC byte, no frame),
/// each of which a decoder plays as silence, with a comfort-noise update every 400 ms. Senders may skip
/// those packets altogether (RFC 7587 §3.1.3); `isDiscontinuous` tells them apart.
///
/// Not thread-safe; one owner calls it.
public final class OpusEncoder {
    public static let sampleRate = 48_000
    /// 20 ms at 48 kHz: the frame size every WebRTC endpoint expects by default.
    public static let samplesPerChannelPerFrame = 960
    /// Large enough for any 20 ms Opus packet (libopus caps a frame at 1275 bytes).
    private static let maximumPacketBytes = 1500

    public let channels: Int
    public let bitrate: Int
    /// Samples per channel libopus delays its output by: the pre-skip an OpusHead must declare.
    public let lookahead: Int

    private let encoder: OpaquePointer
    private var output: [UInt8]
    private let silence: [Int16]

    /// `complexity` (0–10) trades CPU for quality; libopus defaults to 10, which costs several times more than
    /// the 5 used here and buys nothing audible for a bot that mostly sends silence.
    public init(channels: Int = 2, bitrate: Int = 32_000, complexity: Int = 5) throws(OpusEncoderError) {
        guard channels == 1 || channels == 2 else { throw .invalidConfiguration("\(channels) channels") }
        guard (0...10).contains(complexity) else { throw .invalidConfiguration("complexity \(complexity)") }
        guard (500...512_000).contains(bitrate) else { throw .invalidConfiguration("bitrate \(bitrate)") }
        var status: Int32 = OPUS_OK
        guard let encoder = opus_encoder_create(Int32(Self.sampleRate), Int32(channels), OPUS_APPLICATION_VOIP, &status),
            status == OPUS_OK
        else { throw Self.error("create", status) }
        var lookahead: Int32 = 0
        let settings: [(String, Int32)] = [
            ("set bitrate", CEngageOpus_encoder_set_bitrate(encoder, Int32(bitrate))),
            ("set complexity", CEngageOpus_encoder_set_complexity(encoder, Int32(complexity))),
            ("set dtx", CEngageOpus_encoder_set_dtx(encoder, 1)),
            ("set signal", CEngageOpus_encoder_set_signal_voice(encoder)),
            ("get lookahead", CEngageOpus_encoder_get_lookahead(encoder, &lookahead)),
        ]
        if let (operation, failed) = settings.first(where: { $0.1 != OPUS_OK }) {
            opus_encoder_destroy(encoder)
            throw Self.error(operation, failed)
        }
        self.encoder = encoder
        self.channels = channels
        self.bitrate = bitrate
        self.lookahead = Int(lookahead)
        output = [UInt8](repeating: 0, count: Self.maximumPacketBytes)
        silence = [Int16](repeating: 0, count: Self.samplesPerChannelPerFrame * channels)
    }

    deinit {
        opus_encoder_destroy(encoder)
    }

    /// Encodes exactly 20 ms of interleaved 16-bit PCM (960 samples per channel).
    public func encode(pcm: [Int16]) throws(OpusEncoderError) -> [UInt8] {
        let expected = Self.samplesPerChannelPerFrame * channels
        guard pcm.count == expected else { throw .wrongSampleCount(expected: expected, got: pcm.count) }
        let capacity = Int32(output.count)
        let written = pcm.withUnsafeBufferPointer { samples in
            output.withUnsafeMutableBufferPointer { packet in
                guard let samples = samples.baseAddress, let packet = packet.baseAddress else { return OPUS_BAD_ARG }
                return opus_encode(encoder, samples, Int32(Self.samplesPerChannelPerFrame), packet, capacity)
            }
        }
        guard written > 0 else { throw Self.error("encode", written) }
        return Array(output[0..<Int(written)])
    }

    /// The next 20 ms of silence, encoded. Not a constant: the encoder's state (DTX, comfort noise) moves on.
    public func encodeSilence() throws(OpusEncoderError) -> [UInt8] {
        try encode(pcm: silence)
    }

    /// A packet with a TOC byte and no frame data, which is what DTX sends while nothing is heard.
    public static func isDiscontinuous(_ packet: [UInt8]) -> Bool { packet.count <= 2 }

    private static func error(_ operation: String, _ code: Int32) -> OpusEncoderError {
        .codec(operation: operation, message: opus_strerror(code).map { String(cString: $0) } ?? "error \(code)")
    }
}
