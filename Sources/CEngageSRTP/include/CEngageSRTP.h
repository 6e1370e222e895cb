#ifndef CENGAGE_SRTP_H
#define CENGAGE_SRTP_H
// libsrtp2 for Swift.
#include <srtp2/srtp.h>

/// Bytes srtp_protect may append to an RTP packet (auth tag plus MKI); srtp_protect_rtcp
/// appends 4 more (the SRTCP index).
static const int CEngageSRTP_max_trailer_length = SRTP_MAX_TRAILER_LEN;

#endif
