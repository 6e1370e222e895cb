internal import CEngageVPX

public enum VP8EncoderError: Error, Equatable, Sendable {
    case invalidConfiguration(String)
    /// libvpx refused: the operation, libvpx's error string and its detail if any.
    case codec(operation: String, message: String)
    case frameSizeMismatch(expectedWidth: Int, expectedHeight: Int, width: Int, height: Int)
}

/// A libvpx VP8 encoder tuned for a live, mostly static tile: one pass, CBR, no lookahead, fastest real-time speed.
///
/// Timestamps are in 90 kHz units (the RTP video clock), so `pts` can be an RTP timestamp's unwrapped value.
/// Frames are never dropped by rate control: a receiver's jitter buffer and our keyframe cadence both assume
/// a steady frame rate, and an unchanged slate compresses to a few dozen bytes anyway.
///
/// Not thread-safe; one owner calls it.
public final class VP8Encoder {
    public let width: Int
    public let height: Int
    public let fps: Int
    public let bitrateKbps: Int
    /// The longest run of frames between keyframes, so a receiver that missed one recovers without a PLI.
    public let keyframeInterval: Int

    /// Heap-allocated because libvpx keeps pointers into the context between calls.
    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    private let image: UnsafeMutablePointer<vpx_image_t>

    public init(width: Int, height: Int, fps: Int, bitrateKbps: Int, keyframeIntervalSeconds: Int = 3) throws(VP8EncoderError) {
        guard width > 0, height > 0, width <= 16383, height <= 16383 else {
            throw .invalidConfiguration("size \(width)x\(height) outside VP8's 1...16383")
        }
        guard fps > 0, fps <= 120 else { throw .invalidConfiguration("frame rate \(fps)") }
        guard bitrateKbps > 0 else { throw .invalidConfiguration("bitrate \(bitrateKbps) kbps") }
        guard keyframeIntervalSeconds > 0 else { throw .invalidConfiguration("keyframe interval \(keyframeIntervalSeconds) s") }
        self.width = width
        self.height = height
        self.fps = fps
        self.bitrateKbps = bitrateKbps
        keyframeInterval = fps * keyframeIntervalSeconds

        var config = vpx_codec_enc_cfg_t()
        let defaults = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &config, 0)
        guard defaults == VPX_CODEC_OK else { throw Self.error("config_default", defaults, context: nil) }
        config.g_w = UInt32(width)
        config.g_h = UInt32(height)
        config.g_timebase = vpx_rational(num: 1, den: 90_000)
        config.g_threads = 1
        config.g_pass = VPX_RC_ONE_PASS
        config.g_lag_in_frames = 0
        config.g_error_resilient = vpx_codec_er_flags_t(VPX_ERROR_RESILIENT_DEFAULT)
        config.rc_end_usage = VPX_CBR
        config.rc_target_bitrate = UInt32(bitrateKbps)
        config.rc_dropframe_thresh = 0
        config.rc_resize_allowed = 0
        config.rc_min_quantizer = 2
        config.rc_max_quantizer = 56
        config.rc_undershoot_pct = 100
        config.rc_overshoot_pct = 15
        // Buffer model in milliseconds, as WebRTC's VP8 wrapper sets it for real-time calls.
        config.rc_buf_initial_sz = 500
        config.rc_buf_optimal_sz = 600
        config.rc_buf_sz = 1000
        config.kf_mode = VPX_KF_AUTO
        config.kf_min_dist = 0
        config.kf_max_dist = UInt32(keyframeInterval)

        // Built in full before any stored property is set: once they all are, a throw would run deinit.
        let context = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        do throws(VP8EncoderError) {
            try Self.open(context, config: &config)
        } catch {
            context.deallocate()
            throw error
        }
        self.context = context
        image = .allocate(capacity: 1)
        image.initialize(to: vpx_image_t())
    }

    private static func open(_ context: UnsafeMutablePointer<vpx_codec_ctx_t>, config: inout vpx_codec_enc_cfg_t) throws(VP8EncoderError) {
        let initialised = CEngageVPX_vp8_encoder_init(context, &config)
        guard initialised == VPX_CODEC_OK else { throw error("enc_init", initialised, context: context) }
        let controls: [(String, vp8e_enc_control_id, Int32)] = [
            // 8 trades quality we do not need (a static slate) for the least CPU short of skipping work outright.
            ("CPUUSED", VP8E_SET_CPUUSED, 8),
            // Skips macroblocks that barely changed: almost all of them between clock ticks.
            ("STATIC_THRESHOLD", VP8E_SET_STATIC_THRESHOLD, 1),
            ("NOISE_SENSITIVITY", VP8E_SET_NOISE_SENSITIVITY, 0),
            ("TOKEN_PARTITIONS", VP8E_SET_TOKEN_PARTITIONS, Int32(VP8_ONE_TOKENPARTITION.rawValue)),
            // Caps a keyframe at 3x an average frame, so a PLI answer does not burst the link.
            ("MAX_INTRA_BITRATE_PCT", VP8E_SET_MAX_INTRA_BITRATE_PCT, 300),
        ]
        for (name, id, value) in controls {
            let result = CEngageVPX_codec_control_int(context, Int32(id.rawValue), value)
            guard result == VPX_CODEC_OK else {
                let failure = error("control \(name)", result, context: context)
                vpx_codec_destroy(context)
                throw failure
            }
        }
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
        image.deallocate()
    }

    /// Encodes one frame; `pts` in 90 kHz units, increasing. Returns the frames libvpx emitted for it:
    /// with no lookahead that is exactly one.
    public func encode(_ frame: I420Frame, pts: Int64, forceKeyframe: Bool = false) throws(VP8EncoderError) -> [EncodedFrame] {
        guard frame.width == width, frame.height == height else {
            throw .frameSizeMismatch(expectedWidth: width, expectedHeight: height, width: frame.width, height: frame.height)
        }
        let duration = UInt(90_000 / fps)
        let flags: vpx_enc_frame_flags_t = forceKeyframe ? vpx_enc_frame_flags_t(VPX_EFLAG_FORCE_KF) : 0
        let lumaCount = frame.lumaCount, chromaCount = frame.chromaCount
        let result = frame.bytes.withUnsafeBufferPointer { bytes -> vpx_codec_err_t in
            guard let base = bytes.baseAddress else { return VPX_CODEC_INVALID_PARAM }
            // libvpx only reads the image; its API just is not const-correct.
            let pixels = UnsafeMutablePointer(mutating: base)
            guard vpx_img_wrap(image, VPX_IMG_FMT_I420, UInt32(width), UInt32(height), 1, pixels) != nil else {
                return VPX_CODEC_INVALID_PARAM
            }
            // vpx_img_wrap pads odd sizes to even strides; our planes are packed, so say where they really are.
            image.pointee.planes.0 = pixels
            image.pointee.planes.1 = pixels + lumaCount
            image.pointee.planes.2 = pixels + lumaCount + chromaCount
            image.pointee.stride.0 = Int32(frame.width)
            image.pointee.stride.1 = Int32(frame.chromaWidth)
            image.pointee.stride.2 = Int32(frame.chromaWidth)
            return vpx_codec_encode(context, image, pts, duration, flags, UInt(VPX_DL_REALTIME))
        }
        guard result == VPX_CODEC_OK else { throw Self.error("encode", result, context: context) }
        return drainPackets()
    }

    private func drainPackets() -> [EncodedFrame] {
        var frames: [EncodedFrame] = []
        var iterator: vpx_codec_iter_t?
        while let packet = vpx_codec_get_cx_data(context, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let payload = packet.pointee.data.frame
            guard let buffer = payload.buf, payload.sz > 0 else { continue }
            let data = [UInt8](UnsafeRawBufferPointer(start: buffer, count: payload.sz))
            let isKeyframe = payload.flags & vpx_codec_frame_flags_t(VPX_FRAME_IS_KEY) != 0
            frames.append(EncodedFrame(data: data, isKeyframe: isKeyframe, pts: payload.pts))
        }
        return frames
    }

    private static func error(
        _ operation: String, _ code: vpx_codec_err_t, context: UnsafeMutablePointer<vpx_codec_ctx_t>?
    ) -> VP8EncoderError {
        var message = vpx_codec_err_to_string(code).map { String(cString: $0) } ?? "error \(code.rawValue)"
        if let context, let detail = vpx_codec_error_detail(context) {
            message += ": " + String(cString: detail)
        }
        return .codec(operation: operation, message: message)
    }
}
