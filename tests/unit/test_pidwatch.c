/* pidwatch: pidfds of child processes on a real loop; exits reported, the bound kept,
 * every pidfd closed (counted in /proc/self/fd). */
#include "testing.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dcmon/loop.h"
#include "pidwatch.h"

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

static void on_too_late(struct loop *loop, void *arg)
{
	*(bool *)arg = true;
	loop_stop(loop);
}

/* Open file descriptors of this process. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	for (int i = 0; i < 100000 && readdir(d) != NULL; i++)
		n++;
	closedir(d);
	return n;
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

/* Runs the loop until an exit is reported (at most 10 s, else the test fails). */
static void run_until_exit(struct seen *s)
{
	bool late = false;
	int before = s->n;
	struct loop_timer *t = loop_timer_add(s->loop, 10000, on_too_late, &late);

	for (int i = 0; i < 100 && s->n == before && !late; i++)
		assert_int_equal(loop_run(s->loop), 0);
	assert_false(late);
	loop_timer_cancel(s->loop, t);
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
	base = count_fds();
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
	assert_int_equal(count_fds(), base + 2);

	/* a exits: reported, its pidfd closed; nothing else moves */
	kill(a, SIGKILL);
	run_until_exit(&s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.pid[0], a);
	assert_false(pidwatch_has(w, a));
	assert_true(pidwatch_has(w, b));
	assert_int_equal(count_fds(), base + 1);
	assert_int_equal(waitpid(a, NULL, 0), a);

	/* a refresh where only c matches: b closed, c opened (room again) */
	pidwatch_begin(w);
	assert_int_equal(pidwatch_keep(w, c), 0);
	pidwatch_end(w);
	assert_false(pidwatch_has(w, b));
	assert_true(pidwatch_has(w, c));
	assert_int_equal(count_fds(), base + 1);

	/* a pid already gone (reaped): -ESRCH and the exit reported at once */
	assert_int_equal(pidwatch_keep(w, a), -ESRCH);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.pid[1], a);

	pidwatch_free(w); /* closes c's pidfd */
	assert_int_equal(count_fds(), base);
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
