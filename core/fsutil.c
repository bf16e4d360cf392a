/* File-system helpers of the kernel (dcmon/fsutil.h). */
#include "dcmon/fsutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int fs_make_parents(const char *path, mode_t mode, char *failed, size_t failed_len)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	for (char *p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, mode) < 0 && errno != EEXIST) {
			int rc = -errno;
			if (failed)
				snprintf(failed, failed_len, "%s", dir);
			return rc;
		}
		*p = '/';
	}
	return 0;
}
