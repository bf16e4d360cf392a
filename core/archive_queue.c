/* The loop -> writer hand-off of the archive: the loop appends under one mutex, the
 * writer swaps the whole array out, so each side holds the lock for O(1) (amortised). */
#include "archive_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_WAKE_DIV 8 /* wake the writer early at max / QUEUE_WAKE_DIV entries */
#define QUEUE_MIN_CAP 1024

int archive_queue_init(struct archive_queue *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	q->max = max ? max : ARCHIVE_QUEUE_MAX_DEFAULT;
	q->wake_len = q->max / QUEUE_WAKE_DIV ? q->max / QUEUE_WAKE_DIV : 1;
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		return -ENOMEM;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* take() waits on CLOCK_MONOTONIC */
	pthread_cond_init(&q->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&q->done, NULL);
	return 0;
}

void archive_queue_destroy(struct archive_queue *q)
{
	free(q->items);
	q->items = NULL;
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->done);
	pthread_mutex_destroy(&q->lock);
}

/* Drops the oldest tenth of the queue (at least one entry).  Lock held. */
static void queue_drop_oldest(struct archive_queue *q)
{
	size_t n = q->len / 10 ? q->len / 10 : 1;
	memmove(q->items, q->items + n, (q->len - n) * sizeof(q->items[0]));
	q->len -= n;
	q->overflow += n;
	log_complain(&q->complaint, archive_mono_ms(), ARCHIVE_SUB, NULL,
	             "queue full (%zu values): dropped the oldest %zu, %llu lost so far", q->max, n,
	             (unsigned long long)q->overflow);
}

/* Makes room for one more entry.  Lock held.  false when memory ran out. */
static bool queue_reserve(struct archive_queue *q)
{
	if (q->len >= q->max)
		queue_drop_oldest(q);
	if (q->len < q->cap)
		return true;
	size_t cap = q->cap ? q->cap * 2 : QUEUE_MIN_CAP;
	if (cap > q->max)
		cap = q->max;
	struct archive_entry *items = realloc(q->items, cap * sizeof(*items));
	if (!items)
		return false;
	q->items = items;
	q->cap = cap;
	return true;
}

void archive_queue_push(struct archive_queue *q, struct archive_file *f, struct archive_point p)
{
	pthread_mutex_lock(&q->lock);
	q->queued++;
	if (!queue_reserve(q)) {
		q->overflow++;
		log_complain(&q->complaint, archive_mono_ms(), ARCHIVE_SUB, NULL,
		             "out of memory: value dropped");
	} else {
		q->items[q->len++] = (struct archive_entry){.f = f, .p = p};
		if (q->len == q->wake_len)
			pthread_cond_signal(&q->wake);
	}
	pthread_mutex_unlock(&q->lock);
}

void archive_queue_forget(struct archive_queue *q, struct archive_file *f)
{
	pthread_mutex_lock(&q->lock);
	f->next_forgotten = q->forgotten;
	q->forgotten = f;
	pthread_mutex_unlock(&q->lock);
}

/* True when the writer has a reason to run now.  Lock held. */
static bool queue_has_news(const struct archive_queue *q)
{
	return q->stop || q->flush_req != q->flush_done || q->len >= q->wake_len ||
	       (q->journal_now && q->len);
}

void archive_queue_take(struct archive_queue *q, struct archive_batch *b, int64_t wait_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (wait_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&q->lock);
	while (!queue_has_news(q)) {
		if (pthread_cond_timedwait(&q->wake, &q->lock, &until) == ETIMEDOUT)
			break;
	}
	struct archive_entry *items = q->items;
	size_t cap = q->cap;
	q->items = b->items;
	q->cap = b->cap;
	b->items = items;
	b->cap = cap;
	b->len = q->len;
	q->len = 0;
	b->forgotten = q->forgotten;
	q->forgotten = NULL;
	b->flush_gen = q->flush_req;
	b->flush = q->flush_req != q->flush_done || q->stop;
	b->stop = q->stop;
	q->journal_now = false;
	pthread_mutex_unlock(&q->lock);
}

void archive_queue_round_done(struct archive_queue *q, uint64_t gen, const struct archive_counts *c)
{
	pthread_mutex_lock(&q->lock);
	q->counts = *c;
	if (gen > q->flush_done) {
		q->flush_done = gen;
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->lock);
}

void archive_queue_flush(struct archive_queue *q)
{
	pthread_mutex_lock(&q->lock);
	uint64_t gen = ++q->flush_req;
	pthread_cond_signal(&q->wake);
	while (q->flush_done < gen)
		pthread_cond_wait(&q->done, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void archive_queue_journal_now(struct archive_queue *q)
{
	pthread_mutex_lock(&q->lock);
	if (q->len && !q->journal_now) {
		q->journal_now = true;
		pthread_cond_signal(&q->wake);
	}
	pthread_mutex_unlock(&q->lock);
}

void archive_queue_stop(struct archive_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
}
