/* A state file's writes, held in memory until a transaction holding them commits.  On
 * a full disk SQLite refuses the commit (SQLITE_FULL): the rows stay here, in order, and
 * the whole list is tried again every STORE_RETRY_MS, so nothing that happened while
 * the disk was full is lost and the file receives it in the order it happened. */
#include "dcmon/state_db.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/vec.h"

/* The log subsystem and the name of the writes, as the owner set them. */
static const char *held_sub(const struct store_held *h)
{
	return h->sub ? h->sub : "state";
}

static const char *held_what(const struct store_held *h)
{
	return h->what ? h->what : "writes";
}

/* A held row: the statement and its values with owned texts. */
struct store_held_op {
	int stmt;
	int n;
	struct store_val v[];
};

static void op_free(struct store_held_op *op)
{
	for (int i = 0; op && i < op->n; i++)
		if (op->v[i].type == SV_TEXT)
			free(op->v[i].u.s);
	free(op);
}

static struct store_held_op *op_copy(const struct store_row *r)
{
	struct store_held_op *op = malloc(sizeof(*op) + (size_t)r->n * sizeof(op->v[0]));
	if (!op)
		return NULL;
	op->stmt = r->stmt;
	op->n = 0;
	for (int i = 0; i < r->n; i++, op->n++) {
		op->v[i] = r->v[i];
		if (r->v[i].type == SV_TEXT && !(op->v[i].u.s = strdup(r->v[i].u.s))) {
			op_free(op);
			return NULL;
		}
	}
	return op;
}

/* A write that cannot be held: counted, and said (rate-limited) with the total. */
static int held_lose(struct store_held *h, const char *file, const char *why, int err)
{
	h->lost++;
	log_complain(&h->loss, clock_mono_ms(), held_sub(h), NULL,
		     "%s: a write is lost: %s (%zu held, %llu lost since start)", file, why,
		     h->n, (unsigned long long)h->lost);
	return err;
}

int store_held_push(struct store_held *h, const struct store_row *r, const char *file)
{
	if (h->n >= STORE_HELD_MAX)
		return held_lose(h, file, "the bound of writes held in memory is reached", -ENOSPC);
	struct store_held_op **v = vec_grow(h->ops, &h->cap, h->n, sizeof(*v), 16);
	if (!v)
		return held_lose(h, file, "out of memory", -ENOMEM);
	h->ops = v;
	struct store_held_op *op = op_copy(r);
	if (!op)
		return held_lose(h, file, "out of memory", -ENOMEM);
	h->ops[h->n++] = op;
	return 0;
}

/* Runs one held row.  SQLITE_DONE, a disk error, or another code (the row is bad). */
static int op_run(sqlite3 *db, sqlite3_stmt *s, const struct store_held_op *op, const char *sub,
		  const char *file)
{
	int rc = state_db_run(s, op->v, op->n);
	if (rc != SQLITE_DONE && !state_db_disk_error(rc))
		log_warnx(sub, NULL, "%s: a write was refused and dropped: %s", file,
			  sqlite3_errmsg(db));
	return rc;
}

static void held_clear(struct store_held *h)
{
	for (size_t i = 0; i < h->n; i++)
		op_free(h->ops[i]);
	h->n = 0;
}

/* The attempt failed: keep everything, roll back what SQLite did not, say it once. */
static int held_failed(struct store_held *h, sqlite3 *db, int rc, const char *file)
{
	char why[sizeof(h->why)];
	state_db_failure(db, rc, why, sizeof(why));
	state_db_rollback(db);
	if (!h->failing)
		log_msg(LOG_LVL_ERROR, held_sub(h), NULL,
			"%s: cannot write: %s: %s held in memory (%zu writes, at most %d), "
			"retried every %d s", file, why, held_what(h), h->n, STORE_HELD_MAX,
			STORE_RETRY_MS / 1000);
	snprintf(h->why, sizeof(h->why), "%s", why);
	h->failing = true;
	h->retry_ms = clock_mono_ms() + STORE_RETRY_MS;
	return -EIO;
}

int store_held_write(struct store_held *h, sqlite3 *db, sqlite3_stmt *const *stmts,
		     const char *file, bool force)
{
	if (h->n == 0)
		return 0;
	if (h->failing && !force && clock_mono_ms() < h->retry_ms)
		return -EAGAIN;
	int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < h->n; i++) {
		rc = op_run(db, stmts[h->ops[i]->stmt], h->ops[i], held_sub(h), file);
		rc = state_db_disk_error(rc) ? rc : SQLITE_OK;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return held_failed(h, db, rc, file);
	if (h->failing)
		log_info(held_sub(h), NULL, "%s: written again: %zu held writes stored", file, h->n);
	h->failing = false;
	h->why[0] = '\0';
	held_clear(h);
	return 0;
}

void store_held_free(struct store_held *h)
{
	held_clear(h);
	free(h->ops);
	h->ops = NULL;
	h->cap = 0;
}
