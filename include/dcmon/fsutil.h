/* File-system helpers of the kernel. */
#ifndef DCMON_FSUTIL_H
#define DCMON_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p of every directory above path (not path itself), new ones with mode.
 * 0, or -errno with the directory that could not be made in failed (if given). */
int fs_make_parents(const char *path, mode_t mode, char *failed, size_t failed_len);

#endif
