/* A unit test's scratch directory: removed with everything in it, without a shell. */
#ifndef DCMON_TEST_TMPDIR_H
#define DCMON_TEST_TMPDIR_H

/* Removes dir and all it holds (symbolic links are removed, not followed).
 * 0, or -1 with errno when an entry could not be removed. */
int test_tmpdir_remove(const char *dir);

#endif
