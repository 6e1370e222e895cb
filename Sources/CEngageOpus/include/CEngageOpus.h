#ifndef CENGAGE_OPUS_H
#define CENGAGE_OPUS_H
// libopus for Swift: opus_encoder_ctl is variadic, so each request we use gets a typed wrapper.
#include <opus/opus.h>

int CEngageOpus_encoder_set_bitrate(OpusEncoder *encoder, opus_int32 bits_per_second);
int CEngageOpus_encoder_set_complexity(OpusEncoder *encoder, opus_int32 complexity);
int CEngageOpus_encoder_set_dtx(OpusEncoder *encoder, opus_int32 enabled);
int CEngageOpus_encoder_set_signal_voice(OpusEncoder *encoder);
/// Samples (at the encoder's rate) the encoder delays its output by: the OpusHead pre-skip.
int CEngageOpus_encoder_get_lookahead(OpusEncoder *encoder, opus_int32 *samples);
/// Whether the last packets were DTX packets (the encoder judged the input silent).
int CEngageOpus_encoder_get_in_dtx(OpusEncoder *encoder, opus_int32 *in_dtx);

#endif
