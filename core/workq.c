/* Worker pool: a FIFO of work items drained by N threads; completions go to the loop. */
#include "dcmon/workq.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdlib.h>

struct work_item {
	workq_fn work;
	workq_done_fn done;
	void *arg;
	struct workq *wq; /* whose completion it is, while posted */
	struct work_item *next;
};

struct workq {
	struct loop *loop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct work_item *head, *tail;
	size_t pending; /* queued + running */
	bool stopping;
	int nthreads;
	pthread_t threads[];
};

/* Runs on the loop thread: calls the completion. */
static void post_done(struct loop *loop, void *arg)
{
	struct work_item *it = arg;
	it->done(loop, it->arg);
	free(it);
}

static struct work_item *take(struct workq *wq)
{
	pthread_mutex_lock(&wq->lock);
	while (!wq->head && !wq->stopping)
		pthread_cond_wait(&wq->cond, &wq->lock);
	struct work_item *it = wq->head;
	if (it) {
		wq->head = it->next;
		if (!wq->head)
			wq->tail = NULL;
	}
	pthread_mutex_unlock(&wq->lock);
	return it;
}

static void *worker_main(void *arg)
{
	struct workq *wq = arg;
	struct work_item *it;
	while ((it = take(wq)) != NULL) {
		it->work(it->arg);
		bool stopping;
		pthread_mutex_lock(&wq->lock);
		wq->pending--;
		stopping = wq->stopping;
		pthread_mutex_unlock(&wq->lock);
		if (it->done && !stopping && loop_post(wq->loop, post_done, it) == 0)
			continue;
		free(it);
	}
	return NULL;
}

struct workq *workq_new(struct loop *loop, int nthreads)
{
	if (nthreads < 1 || nthreads > 64)
		return NULL;
	struct workq *wq = calloc(1, sizeof(*wq) + (size_t)nthreads * sizeof(pthread_t));
	if (!wq)
		return NULL;
	wq->loop = loop;
	pthread_mutex_init(&wq->lock, NULL);
	pthread_cond_init(&wq->cond, NULL);
	for (; wq->nthreads < nthreads; wq->nthreads++) {
		if (pthread_create(&wq->threads[wq->nthreads], NULL, worker_main, wq) != 0) {
			workq_free(wq);
			return NULL;
		}
	}
	return wq;
}

/* loop_post_drop's claim: a completion of this pool, posted and not yet run, is
 * dropped (its done never runs, as after the pool's end; its arg is its owner's). */
static bool drop_completion(void *ctx, void *arg)
{
	struct work_item *it = arg;
	if (it->wq != ctx)
		return false;
	free(it);
	return true;
}

void workq_free(struct workq *wq)
{
	if (!wq)
		return;
	pthread_mutex_lock(&wq->lock);
	/* let queued work finish: stop only once the queue is empty */
	while (wq->head) {
		pthread_mutex_unlock(&wq->lock);
		sched_yield();
		pthread_mutex_lock(&wq->lock);
	}
	wq->stopping = true;
	pthread_cond_broadcast(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
	for (int i = 0; i < wq->nthreads; i++)
		pthread_join(wq->threads[i], NULL);
	/* completions posted before the stop whose loop turn never came */
	if (wq->loop)
		loop_post_drop(wq->loop, post_done, drop_completion, wq);
	pthread_cond_destroy(&wq->cond);
	pthread_mutex_destroy(&wq->lock);
	free(wq);
}

int workq_submit(struct workq *wq, workq_fn work, workq_done_fn done, void *arg)
{
	struct work_item *it = malloc(sizeof(*it));
	if (!it)
		return -ENOMEM;
	*it = (struct work_item){.work = work, .done = done, .arg = arg, .wq = wq};
	pthread_mutex_lock(&wq->lock);
	if (wq->tail)
		wq->tail->next = it;
	else
		wq->head = it;
	wq->tail = it;
	wq->pending++;
	pthread_cond_signal(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
	return 0;
}

size_t workq_pending(struct workq *wq)
{
	pthread_mutex_lock(&wq->lock);
	size_t n = wq->pending;
	pthread_mutex_unlock(&wq->lock);
	return n;
}
