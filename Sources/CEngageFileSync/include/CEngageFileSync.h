#ifndef CENGAGE_FILESYNC_H
#define CENGAGE_FILESYNC_H
// sync_file_range is a GNU extension that Swift's Glibc module does not declare.

#include <stdint.h>

// Starts writing back the dirty pages of [offset, offset + length) of the file without waiting for
// them (Linux sync_file_range with SYNC_FILE_RANGE_WRITE). Returns 0, or -1 with errno set.
int cengage_start_writeback(int descriptor, int64_t offset, int64_t length);

#endif
