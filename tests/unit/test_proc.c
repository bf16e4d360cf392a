/* proc poller: counts children the test starts with unique names. */
#include "testing.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dcmon/host_checks.h"
#include "pidwatch.h"
#include "pollers.h"
#include "polltest.h"

static struct polltest T;

/* A forked child renamed (comm) to name, waiting to be killed. */
static pid_t spawn_named(const char *name)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, name);
		for (int i = 0; i < 600; i++) /* bounded: 10 minutes at most */
			sleep(1);
		_exit(0);
	}
	return pid;
}

/* A child exec'ing sleep with a unique argv[0] and command line. */
static pid_t spawn_exec(const char *argv0)
{
	int pipefd[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		execl("/bin/sleep", argv0, "600", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 0); /* EOF: exec done */
	close(pipefd[0]);
	return pid;
}

/* Waits until pid's /proc/PID/comm reads name (fork then prctl is not instant). */
static void wait_comm(pid_t pid, const char *name)
{
	char path[64], buf[32] = "";

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		if (f && fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, "\n")] = '\0';
		if (f)
			fclose(f);
		if (strcmp(buf, name) == 0)
			return;
		usleep(10000);
	}
	fail_msg("child %d never took the name %s", (int)pid, name);
}

/* A device of n process checks (its `checks: process:` slot). */
static struct cfg_device proc_dev(const char *host, struct cfg_process *p, size_t n)
{
	struct cfg_device dev = {.id = "host", .host = (char *)host};
	*cfg_device_list_slot(&dev, "process") = (struct cfg_part_list){.v = p, .n = n};
	return dev;
}

static void *create(struct cfg_device *dev)
{
	dev->interval_ms = 10000;
	dev->timeout_ms = 2000;
	return polltest_create(&T, &proc_poller, dev);
}

static double count_of(void *in, const char *label)
{
	struct metric *m;

	assert_int_equal(polltest_once(&T, &proc_poller, in, 3000, NULL, 0), POLL_OK);
	m = polltest_metric(&T, "host", "process_count", label);
	assert_int_equal(m->quality, QUALITY_OK);
	assert_string_equal(m->shape->inst_label, "process");
	return m->value;
}

static void test_name_count_and_zombie(void **state)
{
	char name[16], pat[64];
	struct cfg_process p[2] = {{.name = name}, {.pattern = pat, .label = "byre"}};
	struct cfg_device dev = proc_dev(NULL, p, 2);
	siginfo_t si;
	pid_t a, b;
	void *in;

	snprintf(name, sizeof(name), "dcmt%d", (int)getpid() % 100000);
	snprintf(pat, sizeof(pat), "^dcmx-%d [0-9]+$", (int)getpid());
	polltest_init(&T);
	in = create(&dev);
	assert_true(count_of(in, name) == 0.0);
	a = spawn_named(name);
	wait_comm(a, name);
	assert_true(count_of(in, name) == 1.0);
	b = spawn_named(name);
	wait_comm(b, name);
	assert_true(count_of(in, name) == 2.0);
	/* a dead child not yet reaped is a zombie: not counted */
	kill(b, SIGKILL);
	assert_int_equal(waitid(P_PID, (id_t)b, &si, WEXITED | WNOWAIT), 0);
	assert_true(count_of(in, name) == 1.0);
	waitpid(b, NULL, 0);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	assert_true(count_of(in, name) == 0.0);
	proc_poller.free(in);
	polltest_fini(&T);
}

/* argv[0] basename and a regex on the full command line. */
static void test_argv0_and_pattern(void **state)
{
	char argv0[64], base[48], pat[64];
	struct cfg_process p[3] = {{.name = base}, {.pattern = pat, .label = "byre"},
				   {.name = "sleep", .pattern = pat, .label = "both"}};
	struct cfg_device dev = proc_dev("localhost", p, 3);
	pid_t c;
	void *in;

	snprintf(base, sizeof(base), "dcmx-%d", (int)getpid());
	snprintf(argv0, sizeof(argv0), "/opt/x/%s", base);
	snprintf(pat, sizeof(pat), "^/opt/x/dcmx-%d +600$", (int)getpid());
	polltest_init(&T);
	in = create(&dev);
	c = spawn_exec(argv0);
	assert_true(count_of(in, base) == 1.0);
	assert_true(count_of(in, "byre") == 1.0);
	assert_true(count_of(in, "both") == 1.0); /* comm "sleep" and the pattern */
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	assert_true(count_of(in, base) == 0.0);
	assert_true(count_of(in, "byre") == 0.0);
	proc_poller.free(in);
	polltest_fini(&T);
}

struct repolled {
	char dev[32]; /* the device a re-poll was asked for, "" before */
	int n;
};

static void on_repoll(void *arg, const char *id)
{
	struct repolled *r = arg;

	snprintf(r->dev, sizeof(r->dev), "%s", id);
	r->n++;
	loop_stop(T.loop);
}

/* A watched process exits: the device is re-polled at once, without any poll running
 * (the pidfd, opened when the instance was created, says so); the pidfds are closed
 * when the process goes and when the instance is freed. */
static void test_exit_repolls(void **state)
{
	char name[16];
	struct cfg_process p = {.name = name};
	struct cfg_device dev = proc_dev(NULL, &p, 1);
	struct repolled r = {.dev = ""};
	int base, pidfd;
	pid_t a;
	void *in;

	pidfd = pidwatch_pidfd_open(getpid());
	if (pidfd == -ENOSYS || pidfd == -EPERM)
		skip();
	close(pidfd);
	snprintf(name, sizeof(name), "dcmw%d", (int)getpid() % 100000);
	polltest_init(&T);
	T.env.repoll = on_repoll;
	T.env.repoll_arg = &r;
	base = polltest_count_fds();
	a = spawn_named(name);
	wait_comm(a, name);
	in = create(&dev);
	assert_int_equal(polltest_count_fds(), base + 1); /* watched from create(), before a poll */
	kill(a, SIGKILL);
	polltest_run_until_count(T.loop, &r.n, 10000);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.dev, "host");
	assert_int_equal(polltest_count_fds(), base); /* the exited process's pidfd is closed */
	assert_true(count_of(in, name) == 0.0); /* a zombie until reaped: not counted */
	waitpid(a, NULL, 0);
	a = spawn_named(name);
	wait_comm(a, name);
	assert_true(count_of(in, name) == 1.0);
	assert_int_equal(polltest_count_fds(), base + 1);
	proc_poller.free(in);
	assert_int_equal(polltest_count_fds(), base);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	polltest_fini(&T);
}

static void test_bad_pattern_and_wants(void **state)
{
	struct cfg_process p = {.pattern = "([unclosed"};
	struct cfg_device dev = proc_dev(NULL, &p, 1);
	char err[128] = "";

	polltest_init(&T);
	assert_null(proc_poller.create(&T.env, &dev, err, sizeof(err)));
	assert_non_null(strstr(err, "([unclosed"));
	dev.host = "127.0.0.1";
	assert_true(proc_poller.wants(&dev));
	dev.host = "db-7.example"; /* a remote host: its processes come over SNMP */
	assert_false(proc_poller.wants(&dev));
	dev.host = NULL;
	cfg_device_value_slot(&dev, "resources")->i = RES_SNMP;
	assert_false(proc_poller.wants(&dev));
	polltest_fini(&T);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_count_and_zombie),
		cmocka_unit_test(test_argv0_and_pattern),
		cmocka_unit_test(test_exit_repolls),
		cmocka_unit_test(test_bad_pattern_and_wants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
