/* Worker pool: work runs off the loop thread, completions on it, all of them. */
#include "testing.h"

#include <pthread.h>
#include <unistd.h>

#include "dcmon/workq.h"

struct job {
	pthread_t loop_thread;
	int on_worker;   /* work ran on a thread other than the loop's */
	int done_on_loop;
	int *remaining;
};

static void work(void *arg)
{
	struct job *j = arg;
	j->on_worker = !pthread_equal(pthread_self(), j->loop_thread);
}

static void done(struct loop *loop, void *arg)
{
	struct job *j = arg;
	j->done_on_loop = pthread_equal(pthread_self(), j->loop_thread);
	if (--*j->remaining == 0)
		loop_stop(loop);
}

static void test_work_and_completion_threads(void **state)
{
	struct loop *loop = loop_new();
	struct workq *wq = workq_new(loop, 3);
	assert_non_null(wq);
	enum { N = 200 };
	static struct job jobs[N];
	int remaining = N;
	for (int i = 0; i < N; i++) {
		jobs[i] = (struct job){.loop_thread = pthread_self(), .remaining = &remaining};
		assert_int_equal(workq_submit(wq, work, done, &jobs[i]), 0);
	}
	loop_run(loop);
	assert_int_equal(remaining, 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(jobs[i].on_worker, 1);
		assert_int_equal(jobs[i].done_on_loop, 1);
	}
	assert_int_equal(workq_pending(wq), 0);
	workq_free(wq);
	loop_free(loop);
}

static void nop(void *arg)
{
	(void)arg;
}

static void count_done(struct loop *loop, void *arg)
{
	(void)loop;
	++*(int *)arg;
}

static void count_and_stop(struct loop *loop, void *arg)
{
	++*(int *)arg;
	loop_stop(loop);
}

/* A pool freed while its completions wait for the loop: they are dropped (never run,
 * nothing leaked: ASan's leak check), and another pool's on the same loop still run. */
static void test_completions_dropped_at_free(void **state)
{
	struct loop *loop = loop_new();
	struct workq *a = workq_new(loop, 2), *b = workq_new(loop, 1);
	assert_non_null(a);
	assert_non_null(b);
	int a_done = 0, b_done = 0;
	for (int i = 0; i < 50; i++)
		assert_int_equal(workq_submit(a, nop, count_done, &a_done), 0);
	for (int i = 0; i < 5000 && workq_pending(a) > 0; i++)
		usleep(1000);
	assert_int_equal(workq_pending(a), 0);
	workq_free(a); /* its 50 completions are posted, the loop has not run */
	assert_int_equal(workq_submit(b, nop, count_and_stop, &b_done), 0);
	loop_run(loop);
	assert_int_equal(b_done, 1);
	assert_int_equal(a_done, 0);
	workq_free(b);
	loop_free(loop);
}

static void test_bad_thread_count(void **state)
{
	struct loop *loop = loop_new();
	assert_null(workq_new(loop, 0));
	assert_null(workq_new(loop, 65));
	workq_free(NULL);
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_work_and_completion_threads),
		cmocka_unit_test(test_completions_dropped_at_free),
		cmocka_unit_test(test_bad_thread_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
