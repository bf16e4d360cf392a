/* The archive's rrdcached connection: connect and probe, back off while unreachable,
 * FLUSH before a file is read.  One connection of our own (archive_cachedc.c), used by
 * the writer thread only. */
#include "archive_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHED_BACKOFF_MIN_MS 1000  /* first pause after a failed connect */
#define CACHED_BACKOFF_MAX_MS 60000 /* pauses double up to this */

void archive_cached_init(struct archive_cached *c, const char *addr, const char *data_dir)
{
	memset(c, 0, sizeof(*c));
	c->addr = addr;
	c->data_dir = data_dir;
	c->is_unix = cachedc_addr_is_unix(addr);
	cachedc_init(&c->conn, ARCHIVE_CACHED_TIMEOUT_MS);
}

void archive_cached_down(struct archive_cached *c, const char *why)
{
	cachedc_close(&c->conn);
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

/* One line of STATS: notes whether rrdcached holds any file. */
static void cached_stats_line(void *arg, const char *line)
{
	static const char key[] = "TreeNodesNumber:";
	struct archive_cached *c = arg;
	if (strncmp(line, key, sizeof(key) - 1) == 0)
		c->held_files = strtoul(line + sizeof(key) - 1, NULL, 10) > 0;
}

/* Connects and checks that the daemon answers (STATS).  0 or -1 (err filled). */
static int cached_connect(struct archive_cached *c, char *err, size_t errlen)
{
	if (cachedc_connect(&c->conn, c->addr, err, errlen) < 0)
		return -1;
	long status = -1;
	char msg[128] = "";
	c->held_files = true; /* unless STATS says otherwise */
	int r = cachedc_request_lines(&c->conn, "STATS", &status, msg, sizeof(msg),
	                              cached_stats_line, c);
	if (r < 0) {
		snprintf(err, errlen, "no answer to STATS: %s", strerror(-r));
		return -1;
	}
	if (status < 0) {
		snprintf(err, errlen, "STATS refused: %s", msg);
		return -1;
	}
	return 0;
}

bool archive_cached_ready(struct archive_cached *c, bool force)
{
	if (c->up && cachedc_idle_ok(&c->conn))
		return true;
	/* A connection that went away while idle (rrdcached restarted) is tried again at
	 * once; only a failed connect waits for the back-off. */
	if (!c->up && !force && archive_mono_ms() < c->retry_ms)
		return false;
	char why[256] = "";
	if (cached_connect(c, why, sizeof(why)) < 0) {
		archive_cached_down(c, why);
		return false;
	}
	c->up = true;
	c->backoff_ms = 0;
	log_complain_release(&c->complaint, ARCHIVE_SUB, NULL, "rrdcached %s reachable again",
	                     c->addr);
	return true;
}

const char *archive_cached_name(const struct archive_cached *c, const struct archive_file *f,
                                char path[PATH_MAX])
{
	/* A local daemon takes absolute paths; a remote one paths below its base dir. */
	if (c->is_unix)
		return archive_file_path(f, c->data_dir, path);
	archive_file_rel(f, path);
	return path;
}

int archive_cached_flush(struct archive_cached *c, const struct archive_file *f)
{
	char cmd[CACHEDC_LINE_MAX], msg[256], path[PATH_MAX];
	memcpy(cmd, "FLUSH ", 6);
	if (cachedc_escape(cmd + 6, sizeof(cmd) - 6, archive_cached_name(c, f, path)) < 0)
		return 0; /* cannot be named to rrdcached: it holds nothing of it */
	long status = 0;
	int r = cachedc_request(&c->conn, cmd, &status, msg, sizeof(msg));
	if (r < 0) {
		archive_cached_down(c, strerror(-r));
		return -ENOTCONN;
	}
	/* A refusal ("No such file") is fine: rrdcached holds nothing of the file. */
	return 0;
}

void archive_cached_close(struct archive_cached *c)
{
	cachedc_destroy(&c->conn);
	c->up = false;
}
