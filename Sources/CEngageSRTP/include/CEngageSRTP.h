#ifndef CENGAGE_SRTP_H
#define CENGAGE_SRTP_H
// libsrtp2 for Swift.
#include <srtp2/srtp.h>

#endif
