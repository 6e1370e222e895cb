#ifndef CENGAGE_VPX_H
#define CENGAGE_VPX_H
// libvpx's VP8 encoder for Swift: only what Swift cannot call directly.
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

/// `vpx_codec_enc_init` is a macro that stamps the caller's ABI version into the call,
/// so it has to be expanded in C against the headers the library was built for.
vpx_codec_err_t CEngageVPX_vp8_encoder_init(vpx_codec_ctx_t *ctx, const vpx_codec_enc_cfg_t *cfg);

/// `vpx_codec_control` is variadic (and a type-checking macro); every VP8 control we set takes an int.
vpx_codec_err_t CEngageVPX_codec_control_int(vpx_codec_ctx_t *ctx, int control_id, int value);

#endif
