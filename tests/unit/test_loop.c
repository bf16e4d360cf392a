/* Event loop: timer order, cancel, I/O readiness, cross-thread posts. */
#include "testing.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/loop.h"

struct trace {
	char order[32];
	int n;
};

static void mark(struct loop *loop, struct trace *t, char c)
{
	t->order[t->n++] = c;
	if (t->n == 3)
		loop_stop(loop);
}

static void fire_a(struct loop *l, void *arg) { mark(l, arg, 'a'); }
static void fire_b(struct loop *l, void *arg) { mark(l, arg, 'b'); }
static void fire_c(struct loop *l, void *arg) { mark(l, arg, 'c'); }
static void fire_x(struct loop *l, void *arg) { mark(l, arg, 'x'); }

static void test_timers_fire_in_due_order(void **state)
{
	struct loop *loop = loop_new();
	struct trace t = {0};
	loop_timer_add(loop, 30, fire_c, &t);
	loop_timer_add(loop, 10, fire_a, &t);
	struct loop_timer *x = loop_timer_add(loop, 15, fire_x, &t);
	loop_timer_add(loop, 20, fire_b, &t);
	loop_timer_cancel(loop, x);
	int64_t due = loop_now_ms(loop) + 30;
	assert_int_equal(loop_run(loop), 0);
	assert_string_equal(t.order, "abc");
	assert_true(loop_now_ms(loop) >= due); /* never early */
	loop_free(loop);
}

static void test_equal_due_times_are_fifo(void **state)
{
	struct loop *loop = loop_new();
	struct trace t = {0};
	int64_t when = loop_now_ms(loop) + 5;
	loop_timer_at(loop, when, fire_b, &t);
	loop_timer_at(loop, when, fire_a, &t);
	loop_timer_at(loop, when, fire_c, &t);
	loop_run(loop);
	assert_string_equal(t.order, "bac");
	loop_free(loop);
}

/* Many timers, a third cancelled from anywhere in the heap: the others fire once each,
 * by due time, and in the order added for equal due times. */
#define MANY 600

struct many {
	struct loop_timer *t[MANY];
	int64_t due[MANY];
	int fired[MANY], nfired;
	bool cancelled[MANY];
};

struct many_arg {
	struct many *m;
	int i;
};

static void fire_many(struct loop *loop, void *arg)
{
	struct many_arg *a = arg;
	a->m->fired[a->m->nfired++] = a->i;
	a->m->t[a->i] = NULL;
	if (a->m->nfired == MANY - MANY / 3)
		loop_stop(loop);
}

static void test_many_timers_cancelled_anywhere(void **state)
{
	struct loop *loop = loop_new();
	static struct many m;
	static struct many_arg args[MANY];
	memset(&m, 0, sizeof(m));
	int64_t now = loop_now_ms(loop);
	unsigned r = 12345;
	for (int i = 0; i < MANY; i++) {
		r = r * 1103515245u + 12345u;
		m.due[i] = now + 1 + (r >> 16) % 40; /* many equal due times */
		args[i] = (struct many_arg){&m, i};
		m.t[i] = loop_timer_at(loop, m.due[i], fire_many, &args[i]);
		assert_non_null(m.t[i]);
	}
	for (int k = 0; k < MANY / 3; k++) { /* every third, from the middle outwards */
		int i = (MANY / 2 + (k % 2 ? 3 * (k / 2 + 1) : -3 * (k / 2))) % MANY;
		assert_false(m.cancelled[i]);
		loop_timer_cancel(loop, m.t[i]);
		m.cancelled[i] = true;
	}
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(m.nfired, MANY - MANY / 3);
	for (int k = 0; k < m.nfired; k++) {
		int i = m.fired[k];
		assert_false(m.cancelled[i]);
		if (k > 0) {
			int p = m.fired[k - 1];
			assert_true(m.due[p] < m.due[i] || (m.due[p] == m.due[i] && p < i));
		}
	}
	loop_free(loop);
}

static void test_next_step(void **state)
{
	struct loop *loop = loop_new();
	int64_t now = loop_now_ms(loop), next = loop_next_step_ms(loop, 1000);
	assert_int_equal(next % 1000, 0);
	assert_true(next > now && next <= now + 1000);
	assert_int_equal(loop_next_step_ms(loop, 0), now);
	loop_free(loop);
	(void)state;
}

struct pipe_ctx {
	int fds[2];
	char got[16];
};

static void on_readable(struct loop *loop, int fd, unsigned ev, void *arg)
{
	struct pipe_ctx *p = arg;
	assert_true(ev & LOOP_READ);
	ssize_t n = read(fd, p->got, sizeof(p->got) - 1);
	assert_true(n > 0);
	loop_io_del(loop, fd);
	loop_stop(loop);
}

static void write_later(struct loop *loop, void *arg)
{
	struct pipe_ctx *p = arg;
	assert_int_equal(write(p->fds[1], "ping", 4), 4);
}

static void test_io_readiness(void **state)
{
	struct loop *loop = loop_new();
	struct pipe_ctx p = {0};
	assert_int_equal(pipe(p.fds), 0);
	assert_int_equal(loop_io_add(loop, p.fds[0], LOOP_READ, on_readable, &p), 0);
	assert_int_equal(loop_io_add(loop, p.fds[0], LOOP_READ, on_readable, &p), -EEXIST);
	loop_timer_add(loop, 5, write_later, &p);
	loop_run(loop);
	assert_string_equal(p.got, "ping");
	close(p.fds[0]);
	close(p.fds[1]);
	loop_free(loop);
}

struct post_ctx {
	struct loop *loop;
	int count;
	pthread_t loop_thread;
	int wrong_thread;
};

static void on_post(struct loop *loop, void *arg)
{
	struct post_ctx *c = arg;
	if (!pthread_equal(pthread_self(), c->loop_thread))
		c->wrong_thread++;
	if (++c->count == 1000)
		loop_stop(loop);
}

static void *poster(void *arg)
{
	struct post_ctx *c = arg;
	for (int i = 0; i < 500; i++)
		loop_post(c->loop, on_post, c);
	return NULL;
}

static void test_posts_from_threads_run_on_loop(void **state)
{
	struct post_ctx c = {.loop = loop_new(), .loop_thread = pthread_self()};
	pthread_t a, b;
	pthread_create(&a, NULL, poster, &c);
	pthread_create(&b, NULL, poster, &c);
	loop_run(c.loop);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_int_equal(c.count, 1000);
	assert_int_equal(c.wrong_thread, 0);
	loop_free(c.loop);
}

static void rearm(struct loop *loop, void *arg)
{
	int *n = arg;
	if (++*n < 100)
		loop_timer_add(loop, 0, rearm, arg);
	else
		loop_stop(loop);
}

static void test_zero_delay_rearm_terminates(void **state)
{
	struct loop *loop = loop_new();
	int n = 0;
	loop_timer_add(loop, 0, rearm, &n);
	loop_run(loop);
	assert_int_equal(n, 100);
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_due_order),
		cmocka_unit_test(test_equal_due_times_are_fifo),
		cmocka_unit_test(test_many_timers_cancelled_anywhere),
		cmocka_unit_test(test_next_step),
		cmocka_unit_test(test_io_readiness),
		cmocka_unit_test(test_posts_from_threads_run_on_loop),
		cmocka_unit_test(test_zero_delay_rearm_terminates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
