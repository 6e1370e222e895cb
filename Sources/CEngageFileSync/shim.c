#define _GNU_SOURCE
#include <fcntl.h>
#include "CEngageFileSync.h"

int cengage_start_writeback(int descriptor, int64_t offset, int64_t length) {
    return sync_file_range(descriptor, (off64_t)offset, (off64_t)length, SYNC_FILE_RANGE_WRITE);
}
