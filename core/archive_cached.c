/* The archive's rrdcached connection.  librrd keeps one process-wide client connection
 * (rrdc_*), guarded by its own lock; only the archive's writer thread uses it. */
#include "archive_int.h"

#include <errno.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdio.h>
#include <string.h>

#define CACHED_BACKOFF_MIN_MS 1000  /* first pause after a failed connect */
#define CACHED_BACKOFF_MAX_MS 60000 /* pauses double up to this */

void archive_cached_init(struct archive_cached *c, const char *addr)
{
	memset(c, 0, sizeof(*c));
	c->addr = addr;
	c->is_unix = addr && (addr[0] == '/' || strncmp(addr, "unix:", 5) == 0);
}

/* rrdcached did not answer: drop the connection and wait before the next try. */
static void cached_down(struct archive_cached *c, const char *why)
{
	rrdc_disconnect();
	c->up = false;
	if (c->backoff_ms < CACHED_BACKOFF_MIN_MS)
		c->backoff_ms = CACHED_BACKOFF_MIN_MS;
	else if (c->backoff_ms < CACHED_BACKOFF_MAX_MS)
		c->backoff_ms *= 2;
	if (c->backoff_ms > CACHED_BACKOFF_MAX_MS)
		c->backoff_ms = CACHED_BACKOFF_MAX_MS;
	c->retry_ms = archive_mono_ms() + c->backoff_ms;
	log_complain(&c->complaint, archive_mono_ms(), ARCHIVE_SUB, NULL,
	             "rrdcached %s unusable (%s): values kept, retrying", c->addr, why);
}

bool archive_cached_ready(struct archive_cached *c, bool force)
{
	if (c->up && rrdc_is_connected(c->addr))
		return true;
	if (!force && archive_mono_ms() < c->retry_ms)
		return false;
	rrd_clear_error();
	if (rrdc_connect(c->addr) != 0 || !rrdc_is_connected(c->addr)) {
		char why[256];
		snprintf(why, sizeof(why), "%s", rrd_get_error());
		rrd_clear_error();
		cached_down(c, why);
		return false;
	}
	c->up = true;
	c->backoff_ms = 0;
	log_complain_release(&c->complaint, ARCHIVE_SUB, NULL, "rrdcached %s reachable again",
	                     c->addr);
	return true;
}

/* After a failed request: true if rrdcached still answers (it refused the request),
 * false if the connection is gone (then marked down). */
static bool cached_alive(struct archive_cached *c, const char *why)
{
	rrdc_stats_t *st = NULL;
	if (rrdc_stats_get(&st) == 0) {
		rrdc_stats_free(st);
		return true;
	}
	cached_down(c, why);
	return false;
}

static const char *cached_name(const struct archive_cached *c, const struct archive_file *f)
{
	/* A local daemon takes absolute paths; a remote one paths below its base dir. */
	return c->is_unix ? f->path : f->rel;
}

int archive_cached_update(struct archive_cached *c, const struct archive_file *f, int n,
                          const char **argv, char *err, size_t errlen)
{
	rrd_clear_error();
	int r = rrdc_update(cached_name(c, f), n, argv);
	if (r == 0)
		return 0;
	const char *msg = rrd_get_error();
	snprintf(err, errlen, "%s", msg && *msg ? msg : "rrdcached error");
	rrd_clear_error();
	return cached_alive(c, err) ? -EIO : -ENOTCONN;
}

int archive_cached_flush(struct archive_cached *c, const struct archive_file *f)
{
	rrd_clear_error();
	int r = rrdc_flush(cached_name(c, f));
	if (r == 0)
		return 0;
	char why[256];
	snprintf(why, sizeof(why), "%s", rrd_get_error());
	rrd_clear_error();
	/* "No such file" and the like are fine: the file is not in the cache. */
	return cached_alive(c, why) ? 0 : -ENOTCONN;
}

void archive_cached_close(struct archive_cached *c)
{
	if (c->addr)
		rrdc_disconnect();
	c->up = false;
}
