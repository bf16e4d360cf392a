/* The fixed header of an RRD file, read without librrd: one open, one pread, one close.
 * rrd_info_r maps the whole file and builds a list of every archive's parameters; the
 * writer's first check of each existing file needs only the step, the data source and
 * the last update, and at 1 M files rrd_info_r was most of the start's CPU.  The layout
 * is that of the librrd we link (rrd_format.h, native byte order, checked by the float
 * cookie).  Anything this reader does not recognise is left to rrd_info_r. */
#include "archive_int.h"

#include <errno.h>
#include <fcntl.h>
/* librrd publishes its file layout (rrd_format.h) only with its deprecated internals;
 * none of those functions is called here. */
#define RRD_EXPORT_DEPRECATED
#include <rrd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD_READ 4096 /* bytes read at once: a one-DS file of up to 29 archives */

_Static_assert(ARCHIVE_RRD_NAME_MAX == DS_NAM_SIZE && ARCHIVE_RRD_NAME_MAX == DST_SIZE,
               "struct archive_rrd_head holds rrd_format.h's names");

/* Bytes of a whole file of this header, as rrd_create lays it out (rrd_open's
 * offsets); 0 when the counts are absurd. */
static uint64_t head_file_bytes(const stat_head_t *sh, const rra_def_t *rra)
{
	uint64_t ds = sh->ds_cnt, rras = sh->rra_cnt, rows = 0;
	for (uint64_t i = 0; i < rras; i++) {
		if (rra[i].row_cnt > UINT32_MAX)
			return 0;
		rows += rra[i].row_cnt;
	}
	return sizeof(stat_head_t) + ds * sizeof(ds_def_t) + rras * sizeof(rra_def_t) +
	       sizeof(live_head_t) + ds * sizeof(pdp_prep_t) + rras * ds * sizeof(cdp_prep_t) +
	       rras * sizeof(rra_ptr_t) + rows * ds * sizeof(rrd_value_t);
}

/* Parses the n bytes read from the start of a file of file_bytes.  true when they are
 * a complete header of a known version whose size matches the file. */
static bool head_parse(const unsigned char *buf, size_t n, uint64_t file_bytes,
                       struct archive_rrd_head *h)
{
	stat_head_t sh;
	if (n < sizeof(sh))
		return false;
	memcpy(&sh, buf, sizeof(sh));
	/* Versions 1 and 2 keep a bare time_t as live head; 5 brings data source types
	 * dcmond never writes.  Both go to librrd. */
	if (memcmp(sh.cookie, RRD_COOKIE, sizeof(sh.cookie)) != 0 ||
	    (memcmp(sh.version, RRD_VERSION3, sizeof(sh.version)) != 0 &&
	     memcmp(sh.version, RRD_VERSION4, sizeof(sh.version)) != 0) ||
	    sh.float_cookie != FLOAT_COOKIE || sh.ds_cnt != 1 || sh.rra_cnt < 1 ||
	    sh.rra_cnt > HEAD_READ / sizeof(rra_def_t))
		return false;
	size_t rra_at = sizeof(sh) + sizeof(ds_def_t);
	size_t live_at = rra_at + sh.rra_cnt * sizeof(rra_def_t);
	if (n < live_at + sizeof(live_head_t))
		return false;
	ds_def_t ds;
	rra_def_t rra[HEAD_READ / sizeof(rra_def_t)];
	live_head_t live;
	memcpy(&ds, buf + sizeof(sh), sizeof(ds));
	memcpy(rra, buf + rra_at, sh.rra_cnt * sizeof(rra_def_t));
	memcpy(&live, buf + live_at, sizeof(live));
	if (head_file_bytes(&sh, rra) != file_bytes || !memchr(ds.ds_nam, '\0', DS_NAM_SIZE) ||
	    !memchr(ds.dst, '\0', DST_SIZE))
		return false; /* truncated, grown, or not NUL-terminated */
	h->step_s = sh.pdp_step;
	memcpy(h->ds_name, ds.ds_nam, sizeof(h->ds_name));
	memcpy(h->ds_type, ds.dst, sizeof(h->ds_type));
	h->last_s = (int64_t)live.last_up;
	return true;
}

int archive_rrd_head_read(const char *path, struct archive_rrd_head *h)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unsigned char buf[HEAD_READ];
	struct stat st;
	ssize_t n = fstat(fd, &st) == 0 ? pread(fd, buf, sizeof(buf), 0) : -1;
	int err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if (!S_ISREG(st.st_mode) || !head_parse(buf, (size_t)n, (uint64_t)st.st_size, h))
		return -EAGAIN;
	return 0;
}
