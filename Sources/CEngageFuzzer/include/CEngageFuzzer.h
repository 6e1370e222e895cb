#ifndef CENGAGE_FUZZER_H
#define CENGAGE_FUZZER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver for programs that keep their own main (libclang_rt.fuzzer_no_main). Only the
// sanitized build (scripts/fuzz.sh) links libFuzzer and calls it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
