#ifndef CENGAGE_RECEIVETIME_H
#define CENGAGE_RECEIVETIME_H
// SIOCGSTAMPNS is a macro Swift cannot import (its value depends on sizeof(struct timespec)), and
// recvmmsg's control messages are walked with macros too: both live here.

#include <stdint.h>

// How long ago the kernel received the datagram last read from the UDP socket `descriptor`, in
// nanoseconds (Linux SIOCGSTAMPNS against CLOCK_REALTIME). -1 when unknown: the kernel stamps datagrams
// only after the first call on a socket, so make one right after binding.
int64_t cengage_last_datagram_age(int descriptor);

// Asks the kernel to attach its receive stamp to every datagram read with recvmsg/recvmmsg
// (SO_TIMESTAMPNS). 0 on success, -1 with errno.
int cengage_enable_datagram_stamps(int descriptor);

// One datagram read by cengage_receive_datagrams.
struct cengage_datagram {
    // Bytes received into the datagram's slot; -1 when the datagram was larger than the slot (cut).
    int32_t length;
    // Address family of the source: 4 or 6; 0 when it was neither.
    uint8_t family;
    // Source port, host order.
    uint16_t port;
    // Source address, network order: the first 4 bytes for IPv4 (an IPv4-mapped IPv6 source stays IPv6, as
    // NIO gives it).
    uint8_t address[16];
    // How long before the read the kernel received it, in nanoseconds; -1 when unknown.
    int64_t age;
};

// The most datagrams one call reads.
#define CENGAGE_MAXIMUM_DATAGRAMS_PER_CALL 128

// Reads up to `count` waiting datagrams from `descriptor` in one recvmmsg, without blocking: datagram i goes
// to buffer[i * slot_size ..< (i + 1) * slot_size] and is described by results[i]. Returns how many were
// read, 0 when none was waiting, -1 with errno on any other failure.
int cengage_receive_datagrams(int descriptor, uint8_t *buffer, int slot_size,
                              struct cengage_datagram *results, int count);

#endif
