/* Poller test harness; see polltest.h. */
#include "polltest.h"

#include "testing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

void polltest_init(struct polltest *t)
{
	memset(t, 0, sizeof(*t));
	t->loop = loop_new();
	assert_non_null(t->loop);
	t->reg = metric_reg_new();
	assert_non_null(t->reg);
	t->wq = workq_new(t->loop, 2);
	assert_non_null(t->wq);
	t->env = (struct poller_env){.loop = t->loop, .reg = t->reg, .wq = t->wq};
}

void polltest_fini(struct polltest *t)
{
	workq_free(t->wq);
	metric_reg_free(t->reg);
	loop_free(t->loop);
}

static int polltest_remaining(const struct polltest_poll *polls, int n)
{
	int left = 0;

	for (int i = 0; i < n; i++)
		left += !polls[i].done;
	return left;
}

static struct {
	struct polltest_poll *polls;
	int n;
} running;

static void polltest_done(struct poll_job *job, enum poll_outcome outcome, const char *reason)
{
	struct polltest_poll *p = job->owner;

	assert_false(p->done); /* exactly once */
	p->done = true;
	p->outcome = outcome;
	snprintf(p->reason, sizeof(p->reason), "%s", reason ? reason : "");
	if (polltest_remaining(running.polls, running.n) == 0)
		loop_stop(p->t->loop);
}

static void polltest_overdue(struct loop *loop, void *arg)
{
	fail_msg("polls did not end by their deadline + 10 s");
}

void polltest_run(struct polltest *t, struct polltest_poll *polls, int n, int64_t deadline_ms)
{
	int64_t now = loop_update_time(t->loop);
	struct loop_timer *guard;

	running.polls = polls;
	running.n = n;
	for (int i = 0; i < n; i++) {
		polls[i].t = t;
		polls[i].done = false;
		polls[i].job = (struct poll_job){.ts_ms = clock_wall_ms(),
						 .deadline_ms = now + deadline_ms,
						 .done = polltest_done, .owner = &polls[i]};
	}
	for (int i = 0; i < n; i++)
		polls[i].ops->start(polls[i].inst, &polls[i].job);
	if (polltest_remaining(polls, n) == 0)
		return;
	loop_update_time(t->loop); /* the loop's clock is the one of its last run */
	guard = loop_timer_add(t->loop, deadline_ms + 10000, polltest_overdue, NULL);
	assert_non_null(guard);
	assert_int_equal(loop_run(t->loop), 0);
	loop_timer_cancel(t->loop, guard);
	assert_int_equal(polltest_remaining(polls, n), 0);
}

enum poll_outcome polltest_once(struct polltest *t, const struct poller_ops *ops, void *inst,
				int64_t deadline_ms, char *reason, size_t reasonlen)
{
	struct polltest_poll p = {.ops = ops, .inst = inst};

	polltest_run(t, &p, 1, deadline_ms);
	if (reason != NULL)
		snprintf(reason, reasonlen, "%s", p.reason);
	return p.outcome;
}

void *polltest_create(struct polltest *t, const struct poller_ops *ops,
		      const struct cfg_device *dev)
{
	char err[128] = "";
	void *in;

	assert_true(ops->wants(dev));
	in = ops->create(&t->env, dev, err, sizeof(err));
	if (in == NULL)
		fail_msg("%s create: %s", ops->name, err);
	return in;
}

struct metric *polltest_metric(struct polltest *t, const char *dev, const char *name,
			       const char *inst)
{
	struct metric *m = metric_reg_find(t->reg, dev, name, inst);

	if (m == NULL)
		fail_msg("metric %s{%s} of %s not registered", name, inst ? inst : "", dev);
	return m;
}

bool polltest_private_netns(void)
{
	struct ifreq ifr = {0};
	int fd;

	if (unshare(CLONE_NEWNET) < 0)
		return false;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
	return true;
}

int polltest_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -errno : 0;
}

int polltest_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	for (int i = 0; i < 100000 && readdir(d) != NULL; i++)
		n++;
	closedir(d);
	return n;
}

static void on_too_late(struct loop *loop, void *arg)
{
	*(bool *)arg = true;
	loop_stop(loop);
}

void polltest_run_until_count(struct loop *loop, const int *counter, int64_t limit_ms)
{
	bool late = false;
	int before = *counter;
	struct loop_timer *t;

	loop_update_time(loop); /* the loop's clock is the one of its last run */
	t = loop_timer_add(loop, limit_ms, on_too_late, &late);

	assert_non_null(t);
	for (int i = 0; i < 100 && *counter == before && !late; i++)
		assert_int_equal(loop_run(loop), 0);
	if (late)
		fail_msg("nothing counted within %lld ms", (long long)limit_ms);
	loop_timer_cancel(loop, t);
}
