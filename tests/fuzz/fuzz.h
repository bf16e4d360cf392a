/* Shared by the fuzz targets (tests/fuzz/fuzz_<target>.c).  Each target defines
 * LLVMFuzzerTestOneInput(); it is linked either with libFuzzer (clang, -DDCMON_FUZZ=ON,
 * scripts/fuzz.sh) or with replay_main.c (any compiler, the ctest replay of the corpus
 * and of kept crash reproducers).  Targets set themselves up on their first input. */
#ifndef DCMON_FUZZ_H
#define DCMON_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A private scratch directory for this process (made on first use under $TMPDIR or
 * /tmp, removed at exit). */
const char *fuzz_scratch_dir(void);
/* Writes data to <scratch dir>/<name> (replacing it); returns its path, valid until the
 * next call; aborts on failure. */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);
/* A NUL-terminated copy of data (malloc'd; aborts when out of memory). */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
