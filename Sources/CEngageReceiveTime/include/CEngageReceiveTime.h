#ifndef CENGAGE_RECEIVETIME_H
#define CENGAGE_RECEIVETIME_H
// SIOCGSTAMPNS is a macro Swift cannot import (its value depends on sizeof(struct timespec)).

#include <stdint.h>

// How long ago the kernel received the datagram last read from the UDP socket `descriptor`, in
// nanoseconds (Linux SIOCGSTAMPNS against CLOCK_REALTIME). -1 when unknown: the kernel stamps datagrams
// only after the first call on a socket, so make one right after binding.
int64_t cengage_last_datagram_age(int descriptor);

#endif
