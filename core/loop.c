/* The event loop: epoll + a binary min-heap of timers + an eventfd-woken post queue. */
#include "dcmon/loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 256 /* epoll events handled per iteration */

struct loop_timer {
	size_t heap_idx; /* position in loop->heap, which holds its key */
	loop_fn cb;
	void *arg;
};

/* A heap entry carries its timer's key, so that sifting compares within the array
 * instead of reading a timer allocated anywhere: after a sleep every timer read is a
 * cache miss, and on a VM a TLB miss too (heap_remove was a tenth of an idle dcmond). */
struct heap_slot {
	int64_t when_ms; /* monotonic due time */
	uint64_t seq;    /* insertion order: equal due times fire FIFO */
	struct loop_timer *t;
};

struct io_watch {
	loop_io_cb cb;
	void *arg;
	unsigned events;
	bool active;
};

struct post_item {
	loop_fn fn;
	void *arg;
	struct post_item *next;
};

struct loop {
	int epfd;
	int wakefd; /* eventfd: posted work is waiting */
	bool stop;
	int64_t now_ms;
	int64_t wall_offset_ms;  /* wall minus monotonic clock at the last look */
	loop_clock_fn clock_fn;  /* wall clock step hook, may be NULL */
	void *clock_arg;
	uint64_t timer_seq;
	struct heap_slot *heap;
	size_t nheap, capheap;
	struct io_watch *io; /* indexed by fd */
	size_t nio;
	pthread_mutex_t post_lock;
	struct post_item *post_head, *post_tail;
};

int64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		goto free_loop;
	loop->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->wakefd < 0)
		goto close_ep;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = -1};
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev) < 0)
		goto close_wake;
	pthread_mutex_init(&loop->post_lock, NULL);
	loop->now_ms = clock_mono_ms();
	loop->wall_offset_ms = clock_wall_ms() - loop->now_ms;
	return loop;
close_wake:
	close(loop->wakefd);
close_ep:
	close(loop->epfd);
free_loop:
	free(loop);
	return NULL;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	for (size_t i = 0; i < loop->nheap; i++)
		free(loop->heap[i].t);
	free(loop->heap);
	free(loop->io);
	for (struct post_item *p = loop->post_head, *next; p; p = next) {
		next = p->next;
		free(p);
	}
	pthread_mutex_destroy(&loop->post_lock);
	close(loop->wakefd);
	close(loop->epfd);
	free(loop);
}

int64_t loop_now_ms(const struct loop *loop)
{
	return loop->now_ms;
}

int64_t loop_next_step_ms(const struct loop *loop, int64_t step_ms)
{
	if (step_ms <= 0)
		return loop->now_ms;
	return (loop->now_ms / step_ms + 1) * step_ms;
}

int64_t loop_update_time(struct loop *loop)
{
	loop->now_ms = clock_mono_ms();
	return loop->now_ms;
}

void clock_shift_ms(int64_t *t_ms, int64_t step_ms)
{
	if (*t_ms != 0)
		*t_ms += step_ms;
}

void loop_set_clock_step_fn(struct loop *loop, loop_clock_fn fn, void *arg)
{
	loop->clock_fn = fn;
	loop->clock_arg = arg;
}

/* Refreshes the monotonic time and tells the hook when the wall clock stepped since the
 * last look.  Small drifts (slewing) are followed silently. */
static void loop_update_clocks(struct loop *loop)
{
	int64_t mono = loop_update_time(loop);
	int64_t offset = clock_wall_ms() - mono;
	int64_t step = offset - loop->wall_offset_ms;
	loop->wall_offset_ms = offset;
	if ((step >= LOOP_CLOCK_STEP_MS || step <= -LOOP_CLOCK_STEP_MS) && loop->clock_fn)
		loop->clock_fn(loop, step, loop->clock_arg);
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
}

/* ---- timers: binary min-heap on (when_ms, seq) ------------------------------------ */

static bool slot_before(const struct heap_slot *a, const struct heap_slot *b)
{
	return a->when_ms < b->when_ms || (a->when_ms == b->when_ms && a->seq < b->seq);
}

static void heap_set(struct loop *loop, size_t i, struct heap_slot e)
{
	loop->heap[i] = e;
	e.t->heap_idx = i;
}

static void heap_up(struct loop *loop, size_t i)
{
	struct heap_slot e = loop->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!slot_before(&e, &loop->heap[parent]))
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, e);
}

static void heap_down(struct loop *loop, size_t i)
{
	struct heap_slot e = loop->heap[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= loop->nheap)
			break;
		if (child + 1 < loop->nheap && slot_before(&loop->heap[child + 1], &loop->heap[child]))
			child++;
		if (!slot_before(&loop->heap[child], &e))
			break;
		heap_set(loop, i, loop->heap[child]);
		i = child;
	}
	heap_set(loop, i, e);
}

static void heap_remove(struct loop *loop, struct loop_timer *t)
{
	size_t i = t->heap_idx;
	struct heap_slot last = loop->heap[--loop->nheap];
	if (last.t == t)
		return;
	heap_set(loop, i, last);
	heap_up(loop, i);
	heap_down(loop, last.t->heap_idx);
}

struct loop_timer *loop_timer_at(struct loop *loop, int64_t when_ms, loop_fn cb, void *arg)
{
	if (loop->nheap == loop->capheap) {
		size_t cap = loop->capheap ? loop->capheap * 2 : 64;
		struct heap_slot *h = realloc(loop->heap, cap * sizeof(*h));
		if (!h)
			return NULL;
		loop->heap = h;
		loop->capheap = cap;
	}
	struct loop_timer *t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	*t = (struct loop_timer){.cb = cb, .arg = arg};
	loop->heap[loop->nheap] = (struct heap_slot){when_ms, loop->timer_seq++, t};
	t->heap_idx = loop->nheap++;
	heap_up(loop, t->heap_idx);
	return t;
}

struct loop_timer *loop_timer_add(struct loop *loop, int64_t delay_ms, loop_fn cb, void *arg)
{
	return loop_timer_at(loop, loop->now_ms + (delay_ms > 0 ? delay_ms : 0), cb, arg);
}

void loop_timer_cancel(struct loop *loop, struct loop_timer *t)
{
	if (!t)
		return;
	heap_remove(loop, t);
	free(t);
}

/* Runs every timer due at the cached time; timers added meanwhile for "now" wait for the
 * next iteration so a timer re-arming itself with delay 0 cannot starve I/O. */
static void run_timers(struct loop *loop)
{
	uint64_t seq_limit = loop->timer_seq;
	while (loop->nheap > 0) {
		if (loop->heap[0].when_ms > loop->now_ms || loop->heap[0].seq >= seq_limit)
			break;
		struct loop_timer *t = loop->heap[0].t;
		heap_remove(loop, t);
		loop_fn cb = t->cb;
		void *arg = t->arg;
		free(t);
		cb(loop, arg);
	}
}

/* ---- I/O ------------------------------------------------------------------------ */

static uint32_t to_epoll(unsigned events)
{
	return ((events & LOOP_READ) ? EPOLLIN | EPOLLRDHUP : 0) | ((events & LOOP_WRITE) ? EPOLLOUT : 0);
}

int loop_io_add(struct loop *loop, int fd, unsigned events, loop_io_cb cb, void *arg)
{
	if (fd < 0)
		return -EBADF;
	if ((size_t)fd >= loop->nio) {
		size_t n = (size_t)fd + 64;
		struct io_watch *io = realloc(loop->io, n * sizeof(*io));
		if (!io)
			return -ENOMEM;
		memset(io + loop->nio, 0, (n - loop->nio) * sizeof(*io));
		loop->io = io;
		loop->nio = n;
	}
	if (loop->io[fd].active)
		return -EEXIST;
	struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	loop->io[fd] = (struct io_watch){.cb = cb, .arg = arg, .events = events, .active = true};
	return 0;
}

int loop_io_mod(struct loop *loop, int fd, unsigned events)
{
	if (fd < 0 || (size_t)fd >= loop->nio || !loop->io[fd].active)
		return -ENOENT;
	struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	loop->io[fd].events = events;
	return 0;
}

void loop_io_del(struct loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nio || !loop->io[fd].active)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->io[fd].active = false;
}

/* ---- cross-thread posts --------------------------------------------------------- */

int loop_post(struct loop *loop, loop_fn fn, void *arg)
{
	struct post_item *p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct post_item){.fn = fn, .arg = arg};
	pthread_mutex_lock(&loop->post_lock);
	bool was_empty = loop->post_head == NULL;
	if (loop->post_tail)
		loop->post_tail->next = p;
	else
		loop->post_head = p;
	loop->post_tail = p;
	pthread_mutex_unlock(&loop->post_lock);
	if (was_empty) {
		uint64_t one = 1;
		ssize_t r = write(loop->wakefd, &one, sizeof(one));
		(void)r; /* EAGAIN means the counter is already non-zero: the loop will wake */
	}
	return 0;
}

size_t loop_post_drop(struct loop *loop, loop_fn fn, bool (*drop)(void *ctx, void *arg),
		      void *ctx)
{
	size_t n = 0;
	pthread_mutex_lock(&loop->post_lock);
	struct post_item **pp = &loop->post_head, *last = NULL;
	while (*pp) {
		struct post_item *p = *pp;
		if (p->fn == fn && drop(ctx, p->arg)) {
			*pp = p->next;
			free(p);
			n++;
		} else {
			last = p;
			pp = &p->next;
		}
	}
	loop->post_tail = last;
	pthread_mutex_unlock(&loop->post_lock);
	return n;
}

static void run_posts(struct loop *loop)
{
	uint64_t n;
	ssize_t r = read(loop->wakefd, &n, sizeof(n));
	(void)r;
	pthread_mutex_lock(&loop->post_lock);
	struct post_item *p = loop->post_head;
	loop->post_head = loop->post_tail = NULL;
	pthread_mutex_unlock(&loop->post_lock);
	while (p) {
		struct post_item *next = p->next;
		p->fn(loop, p->arg);
		free(p);
		p = next;
	}
}

/* ---- the loop ------------------------------------------------------------------- */

static int next_wait_ms(const struct loop *loop)
{
	if (loop->nheap == 0)
		return 1000;
	int64_t d = loop->heap[0].when_ms - loop->now_ms;
	if (d < 0)
		return 0;
	return d > 1000 ? 1000 : (int)d;
}

static void dispatch_io(struct loop *loop, const struct epoll_event *ev)
{
	int fd = ev->data.fd;
	if (fd < 0) {
		run_posts(loop);
		return;
	}
	if ((size_t)fd >= loop->nio || !loop->io[fd].active)
		return; /* removed by an earlier callback of this iteration */
	unsigned events = 0;
	if (ev->events & (EPOLLIN | EPOLLRDHUP))
		events |= LOOP_READ;
	if (ev->events & EPOLLOUT)
		events |= LOOP_WRITE;
	if (ev->events & (EPOLLERR | EPOLLHUP))
		events |= LOOP_ERROR | (loop->io[fd].events & (LOOP_READ | LOOP_WRITE));
	loop->io[fd].cb(loop, fd, events, loop->io[fd].arg);
}

int loop_run(struct loop *loop)
{
	struct epoll_event events[LOOP_MAX_EVENTS];
	loop->stop = false;
	while (!loop->stop) {
		loop_update_clocks(loop);
		run_timers(loop);
		if (loop->stop)
			break;
		int n = epoll_wait(loop->epfd, events, LOOP_MAX_EVENTS, next_wait_ms(loop));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		loop_update_clocks(loop);
		for (int i = 0; i < n && !loop->stop; i++)
			dispatch_io(loop, &events[i]);
	}
	return 0;
}
