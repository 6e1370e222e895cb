#ifndef CENGAGE_CHECKSUM_H
#define CENGAGE_CHECKSUM_H
// CRC32c (Castagnoli, SCTP's checksum) with the CPU's crc32 instruction, where it has one.

#include <stddef.h>
#include <stdint.h>

// Runs `count` bytes through the CRC32c register `*crc` (start from 0xFFFFFFFF, invert at the end) with
// x86-64's SSE4.2 crc32 instruction. Returns 1, or 0 on a CPU without it (`*crc` is then unchanged and the
// caller computes it another way).
int cengage_crc32c_update(uint32_t *crc, const uint8_t *bytes, size_t count);

#endif
