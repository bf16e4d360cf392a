/* pidwatch: pidfds of child processes on a real loop; exits reported, the bound kept,
 * every pidfd closed (counted in /proc/self/fd). */
#include "testing.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dcmon/loop.h"
#include "pidwatch.h"
#include "polltest.h"

struct seen {
	struct loop *loop;
	pid_t pid[4]; /* exits reported, in order */
	int n;
};

static void on_exit_cb(void *arg, pid_t pid)
{
	struct seen *s = arg;

	if (s->n < 4)
		s->pid[s->n] = pid;
	s->n++;
	loop_stop(s->loop);
}

static pid_t spawn(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 600; i++) /* bounded: 10 minutes at most */
			sleep(1);
		_exit(0);
	}
	return pid;
}

static void test_exit_bound_and_fds(void **state)
{
	struct seen s = {.loop = loop_new()};
	pid_t a, b, c;
	int base;
	struct pidwatch *w;

	(void)state;
	assert_non_null(s.loop);
	a = pidwatch_pidfd_open(getpid());
	if (a == -ENOSYS || a == -EPERM)
		skip(); /* no pidfds on this kernel or sandbox */
	assert_true(a >= 0);
	close(a);
	base = polltest_count_fds();
	assert_non_null(w = pidwatch_new(s.loop, 2, on_exit_cb, &s));
	a = spawn();
	b = spawn();
	c = spawn();
	pidwatch_begin(w);
	assert_int_equal(pidwatch_keep(w, a), 0);
	assert_int_equal(pidwatch_keep(w, b), 0);
	assert_int_equal(pidwatch_keep(w, a), 0); /* kept, not opened twice */
	assert_int_equal(pidwatch_keep(w, c), -ENOSPC);
	pidwatch_end(w);
	assert_int_equal(pidwatch_count(w), 2);
	assert_int_equal(polltest_count_fds(), base + 2);

	/* a exits: reported, its pidfd closed; nothing else moves */
	kill(a, SIGKILL);
	polltest_run_until_count(s.loop, &s.n, 10000);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.pid[0], a);
	assert_false(pidwatch_has(w, a));
	assert_true(pidwatch_has(w, b));
	assert_int_equal(polltest_count_fds(), base + 1);
	assert_int_equal(waitpid(a, NULL, 0), a);

	/* a refresh where only c matches: b closed, c opened (room again) */
	pidwatch_begin(w);
	assert_int_equal(pidwatch_keep(w, c), 0);
	pidwatch_end(w);
	assert_false(pidwatch_has(w, b));
	assert_true(pidwatch_has(w, c));
	assert_int_equal(polltest_count_fds(), base + 1);

	/* a pid already gone (reaped): -ESRCH and the exit reported at once */
	assert_int_equal(pidwatch_keep(w, a), -ESRCH);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.pid[1], a);

	pidwatch_free(w); /* closes c's pidfd */
	assert_int_equal(polltest_count_fds(), base);
	pidwatch_free(NULL);
	kill(b, SIGKILL);
	kill(c, SIGKILL);
	waitpid(b, NULL, 0);
	waitpid(c, NULL, 0);
	loop_free(s.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_bound_and_fds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
