#include "CEngageVPX.h"

vpx_codec_err_t CEngageVPX_vp8_encoder_init(vpx_codec_ctx_t *ctx, const vpx_codec_enc_cfg_t *cfg) {
    return vpx_codec_enc_init(ctx, vpx_codec_vp8_cx(), cfg, 0);
}

vpx_codec_err_t CEngageVPX_codec_control_int(vpx_codec_ctx_t *ctx, int control_id, int value) {
    return vpx_codec_control_(ctx, control_id, value);
}
