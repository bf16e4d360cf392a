/* The writer's rrdcached round: the values of every dirty file go out in one BATCH
 * (many UPDATE lines, one "."), so a round costs one round trip however many files it
 * touches.  rrdcached's error list names failed commands by number; the numbers map
 * back to files through pipe->cmds.  Writer thread only. */
#include "archive_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_LINE_BUDGET                                                                           \
	4000              /* bytes of one UPDATE line: rrdcached copies each into a                \
	                   * 4096-byte buffer for its journal */
#define PIPE_CMDS_MIN 256

_Static_assert(PIPE_LINE_BUDGET < CACHEDC_LINE_MAX, "an UPDATE line must fit the client");

void archive_pipe_free(struct archive_pipe *p)
{
	free(p->cmds);
	p->cmds = NULL;
	p->ncmds = p->cap = 0;
}

/* Makes room for one more command.  0 or -ENOMEM. */
static int pipe_reserve(struct archive_pipe *p)
{
	if (p->ncmds < p->cap)
		return 0;
	size_t cap = p->cap ? p->cap * 2 : PIPE_CMDS_MIN;
	struct archive_cmd *cmds = realloc(p->cmds, cap * sizeof(*cmds));
	if (!cmds)
		return -ENOMEM;
	p->cmds = cmds;
	p->cap = cap;
	return 0;
}

/* Appends the points of f from index `from` on to the line (which holds len bytes)
 * while they fit, at least one; unformattable points are dropped as failed.  *n is
 * how many went on the line; returns the new length. */
static size_t pipe_fill_line(struct archive_writer *w, struct archive_file *f, size_t from,
                             size_t len, uint32_t *n)
{
	char *line = w->pipe.line;
	*n = 0;
	while (from + *n < f->npts) {
		char v[ARCHIVE_FORMAT_MAX];
		int vl = archive_rrd_format(v, sizeof(v), f->kind, archive_file_pt(f, from + *n));
		if (vl < 0) { /* absurd counter value: drop it */
			archive_file_drop_at(f, from + *n);
			w->held--;
			w->counts.failed++;
			continue;
		}
		if (*n > 0 && len + 1 + (size_t)vl > PIPE_LINE_BUDGET)
			break;
		line[len++] = ' ';
		memcpy(line + len, v, (size_t)vl);
		len += (size_t)vl;
		(*n)++;
	}
	return len;
}

/* The file cannot be named to rrdcached (line end in its path, path too long). */
static void pipe_unnamable(struct archive_writer *w, struct archive_file *f, int why)
{
	w->counts.failed += f->npts;
	w->held -= f->npts;
	archive_file_consume(f, f->npts);
	char path[PATH_MAX];
	f->state = ARCHIVE_FILE_BAD;
	f->retry_s = archive_retry_at(archive_mono_ms(), ARCHIVE_RETRY_MS);
	archive_file_complain(f, "%s cannot be sent to rrdcached: %s",
	                      archive_file_path(f, w->data_dir, path),
	                      why == -EINVAL ? "line end in the path" : "path too long");
}

/* Adds UPDATE lines carrying every buffered point of f.  0; -ENOMEM or -E2BIG (stop
 * adding, the batch is still usable); another negative errno when the connection
 * failed. */
static int pipe_add_file(struct archive_writer *w, struct archive_file *f)
{
	struct archive_pipe *p = &w->pipe;
	char path[PATH_MAX];
	memcpy(p->line, "UPDATE", 6);
	p->line[6] = ' ';
	int nl = cachedc_escape(p->line + 7, PIPE_LINE_BUDGET - 7 - ARCHIVE_FORMAT_MAX,
	                        archive_cached_name(&w->cached, f, path));
	if (nl < 0) {
		pipe_unnamable(w, f, nl);
		return 0;
	}
	size_t head = 7 + (size_t)nl, sent = 0;
	while (sent < f->npts) {
		int r = pipe_reserve(p);
		if (r < 0)
			return r;
		uint32_t n;
		size_t len = pipe_fill_line(w, f, sent, head, &n);
		if (n == 0)
			break;
		r = cachedc_batch_add(&w->cached.conn, p->line, len);
		if (r < 0)
			return r;
		p->cmds[p->ncmds++] = (struct archive_cmd){.f = f, .npts = n};
		sent += n;
	}
	return 0;
}

/* One error line of the batch: the command's values are refused. */
static void pipe_on_error(void *arg, unsigned cmd, const char *msg)
{
	struct archive_writer *w = arg;
	if (cmd == 0 || cmd > w->pipe.ncmds)
		return; /* the client checks the number against its count: not reached */
	struct archive_cmd *c = &w->pipe.cmds[cmd - 1];
	char path[PATH_MAX];
	c->failed = true;
	archive_file_complain(c->f, "%s: update failed: %s",
	                      archive_file_path(c->f, w->data_dir, path), msg);
}

/* Takes the first n points of f off its buffer: ok of them written, the rest failed. */
static void pipe_settle(struct archive_writer *w, struct archive_file *f, size_t n, size_t ok)
{
	if (n == 0)
		return;
	if (ok < n)
		f->state = ARCHIVE_FILE_NEW; /* look at the file again before its next write */
	f->last_s = archive_file_times(f)[n - 1];
	w->counts.written += ok;
	w->counts.failed += n - ok;
	w->held -= n;
	archive_file_consume(f, n);
}

/* Accounts every command of the finished batch (a file's commands are adjacent). */
static void pipe_account(struct archive_writer *w)
{
	struct archive_pipe *p = &w->pipe;
	struct archive_file *cur = NULL;
	size_t n = 0, ok = 0;
	for (size_t i = 0; i < p->ncmds; i++) {
		struct archive_cmd *c = &p->cmds[i];
		if (c->f != cur) {
			if (cur)
				pipe_settle(w, cur, n, ok);
			cur = c->f;
			n = ok = 0;
		}
		n += c->npts;
		ok += c->failed ? 0 : c->npts;
	}
	if (cur)
		pipe_settle(w, cur, n, ok);
}

/* The connection failed during the batch: what rrdcached applied is unknown.  Points
 * stay buffered; the files sent are checked again (FLUSH, last update) before their
 * next write, so values rrdcached did take are not sent twice. */
static void pipe_lost(struct archive_writer *w, int r)
{
	for (size_t i = 0; i < w->pipe.ncmds; i++)
		w->pipe.cmds[i].f->state = ARCHIVE_FILE_NEW;
	archive_cached_down(&w->cached, strerror(-r));
}

int archive_pipe_send(struct archive_writer *w, struct archive_file *list)
{
	char msg[256] = "";
	w->pipe.ncmds = 0;
	int r = cachedc_batch_begin(&w->cached.conn, msg, sizeof(msg));
	if (r < 0) {
		archive_cached_down(&w->cached, r == -EREMOTEIO ? msg : strerror(-r));
		return -ENOTCONN;
	}
	for (struct archive_file *f = list; f && r == 0; f = f->next_dirty)
		r = pipe_add_file(w, f);
	if (cachedc_is_open(&w->cached.conn)) /* stopped early (memory): the rest waits */
		r = cachedc_batch_end(&w->cached.conn, pipe_on_error, w);
	if (r < 0) {
		pipe_lost(w, r);
		return -ENOTCONN;
	}
	pipe_account(w);
	return 0;
}
