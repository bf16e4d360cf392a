/* The mounted filesystems worth watching, and their statvfs() figures.
 *
 * mounts_read() parses a mounts table (/proc/self/mounts) on the calling thread; it
 * never blocks on a file system.  mounts_stat() calls stat() and statvfs() on each
 * mount point and can block for as long as a hung network file system does, so it is
 * meant to run on a worker thread.  Private to pollers/.
 */
#ifndef DCMON_MOUNTS_H
#define DCMON_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#define MOUNTS_MAX 4096 /* mount points kept per read */

struct mount_ent {
	char *dir;          /* mount point, unescaped */
	char *type;         /* file system type */
	dev_t dev;          /* st_dev of dir, after mounts_stat() */
	int err;            /* errno of stat()/statvfs(), 0 if fine */
	bool dup;           /* same st_dev as a shorter mount point: not reported */
	struct statvfs sv;  /* after mounts_stat() */
};

struct mount_list {
	struct mount_ent *v;
	size_t n;
};

/* True for pseudo and in-memory file systems that are never reported: proc, sysfs,
 * tmpfs, devtmpfs, devpts, cgroup, cgroup2, squashfs, ... (see mounts_linux.c). */
bool mounts_type_ignored(const char *type);

/* Reads `path` (format of /proc/self/mounts) into *out, keeping one entry per mount
 * point (the last one mounted) and leaving out ignored types.  0 or a negative errno;
 * free with mounts_free() in both cases. */
int mounts_read(const char *path, struct mount_list *out);

/* Calls stat() and statvfs() on every entry and marks duplicates (bind mounts of the
 * same file system: the shortest mount point is kept).  May block. Any thread. */
void mounts_stat(struct mount_list *l);

void mounts_free(struct mount_list *l);

#endif
