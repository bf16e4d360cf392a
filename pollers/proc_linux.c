/* proc: counts local processes matching a name or a command-line pattern, from /proc.
 *
 * Metrics, one per configured process check (instance label "process"; the instance
 * is the check's label, default its name or pattern):
 *
 * | name           | kind  | unit | meaning                                         |
 * |----------------|-------|------|-------------------------------------------------|
 * | process_count  | gauge |      | live processes (zombies excluded) that match    |
 *
 * `name` matches exactly the kernel's process name (/proc/PID/stat comm, 15 bytes at
 * most) or the basename of argv[0]; `pattern` is a POSIX extended regex searched in
 * the full command line (/proc/PID/cmdline, NULs turned into spaces, first
 * PROC_CMDLINE_MAX bytes).  A check with both needs both to match.  Processes that
 * exit during the scan are skipped silently; other unreadable entries are skipped
 * and logged (rate-limited).  The scan runs on the loop thread: /proc reads do not
 * wait on devices.  This poller serves devices that are this machine (host unset,
 * localhost, a loopback address or our host name) unless resources come over SNMP.
 *
 * Event-driven liveness: each check keeps a pidfd (pidwatch.h) on up to PROC_WATCH_MAX
 * of the processes it matched, on the event loop; when one exits, the device is
 * re-polled at once (env->repoll), so the count drops and its alert fires within
 * milliseconds instead of at the next poll.  Processes beyond the bound, kernels
 * without pidfd_open (ENOSYS) and sandboxes refusing it (EPERM) are left to polling.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/host_checks.h"
#include "dcmon/log.h"
#include "pidwatch.h"
#include "pollers.h"
#include "pollutil.h"

#define PROC_CMDLINE_MAX 4096 /* bytes of command line matched */
#define PROC_STAT_MAX    512  /* bytes of /proc/PID/stat read (comm and state) */
#define PROC_SCAN_MAX    (1 << 22) /* /proc entries examined per scan, bounds the loop */
#define PROC_WATCH_MAX   64  /* pidfds per check; more matches are left to polling */

struct proc_check {
	char *name;           /* exact process name, or NULL */
	regex_t re;           /* compiled pattern, when has_re */
	bool has_re;
	struct metric *m;
	unsigned count;       /* matches in the current scan */
	char *label;          /* the metric's instance, for log lines */
	struct pidwatch *watch; /* pidfds of matched processes; NULL without re-polls */
	bool watch_full;      /* the last scan matched more than PROC_WATCH_MAX */
};

struct proc_inst {
	struct loop *loop;
	struct metric_reg *reg;
	const struct poller_env *env;   /* for env->repoll; outlives the instance */
	char *dev;
	struct proc_check *checks;
	size_t n;
	struct log_complaint complaint; /* unreadable /proc entries */
	struct log_complaint watch_log; /* pidfds that could not be opened */
	bool no_pidfd;                  /* pidfd_open unsupported or refused: poll only */
	struct loop_timer *repoll_timer; /* a re-poll after a watched exit, pending */
};

/* What one scan learns about one process. */
struct proc_info {
	char comm[64];                      /* kernel process name */
	char cmdline[PROC_CMDLINE_MAX + 1]; /* NULs as spaces, trailing space trimmed */
	const char *argv0;                  /* basename of argv[0] inside a copy */
	char argv0_buf[256];
};

static bool proc_wants(const struct cfg_device *dev)
{
	size_t n;
	process_checks_of(dev, &n);
	return n > 0 && resources_of(dev) != RES_SNMP &&
	       pollutil_host_is_local(dev->host);
}

static void proc_free(void *arg)
{
	struct proc_inst *in = arg;

	if (in == NULL)
		return;
	loop_timer_cancel(in->loop, in->repoll_timer);
	for (size_t i = 0; i < in->n; i++) {
		pidwatch_free(in->checks[i].watch);
		free(in->checks[i].label);
		free(in->checks[i].name);
		if (in->checks[i].has_re)
			regfree(&in->checks[i].re);
	}
	free(in->checks);
	free(in->dev);
	free(in);
}

/* Compiles one check; false with err set on a bad pattern or no memory. */
static bool proc_check_init(struct proc_check *c, const struct poller_env *env,
			    const struct cfg_device *dev, const struct cfg_process *p,
			    char *err, size_t errlen)
{
	const char *label = p->label ? p->label : p->name ? p->name : p->pattern;
	struct metric_desc d = {.name = "process_count", .unit = "", .kind = METRIC_GAUGE,
				.inst_label = "process", .inst = label,
				.interval_ms = dev->interval_ms};
	int rc;

	if (label == NULL) {
		snprintf(err, errlen, "process check needs a name or a pattern");
		return false;
	}
	if ((c->label = strdup(label)) == NULL || (p->name && (c->name = strdup(p->name)) == NULL)) {
		snprintf(err, errlen, "no memory");
		return false;
	}
	if (p->pattern) {
		rc = regcomp(&c->re, p->pattern, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char why[128];
			regerror(rc, &c->re, why, sizeof(why));
			snprintf(err, errlen, "process pattern '%s': %s", p->pattern, why);
			return false;
		}
		c->has_re = true;
	}
	if ((c->m = pollutil_metric(env, dev->id, &d)) == NULL) {
		snprintf(err, errlen, "cannot register process_count{%s}", label);
		return false;
	}
	return true;
}

/* The re-poll asked for by a watched exit, run from the loop (so several exits seen in
 * one loop iteration make one poll). */
static void proc_repoll_due(struct loop *loop, void *arg)
{
	struct proc_inst *in = arg;

	(void)loop;
	in->repoll_timer = NULL;
	in->env->repoll(in->env->repoll_arg, in->dev);
}

/* pidwatch_exit_cb: a watched process has exited. */
static void proc_on_exit(void *arg, pid_t pid)
{
	struct proc_inst *in = arg;

	log_debug("proc", in->dev, "process %d exited (pidfd): re-poll now", (int)pid);
	if (in->repoll_timer == NULL)
		in->repoll_timer = loop_timer_add(in->loop, 0, proc_repoll_due, in);
}

/* Gives every check its pidfd set when the scheduler can re-poll; false on no memory. */
static bool proc_watch_init(struct proc_inst *in)
{
	if (in->env->repoll == NULL) {
		log_debug("proc", in->dev, "no re-poll offered: process exits noticed by polling");
		return true;
	}
	for (size_t i = 0; i < in->n; i++)
		if ((in->checks[i].watch = pidwatch_new(in->loop, PROC_WATCH_MAX, proc_on_exit,
							in)) == NULL)
			return false;
	return true;
}

static int proc_scan(struct proc_inst *in);

static void *proc_create(const struct poller_env *env, const struct cfg_device *dev,
			 char *err, size_t errlen)
{
	struct proc_inst *in = calloc(1, sizeof(*in));
	size_t n;
	const struct cfg_process *p = process_checks_of(dev, &n);

	snprintf(err, errlen, "no memory");
	if (in == NULL || (in->checks = calloc(n, sizeof(*in->checks))) == NULL ||
	    (in->dev = strdup(dev->id)) == NULL) {
		proc_free(in);
		return NULL;
	}
	in->loop = env->loop;
	in->reg = env->reg;
	in->env = env;
	for (; in->n < n; in->n++) {
		if (!proc_check_init(&in->checks[in->n], env, dev, &p[in->n], err, errlen)) {
			in->n++;
			proc_free(in);
			return NULL;
		}
	}
	if (!proc_watch_init(in)) {
		snprintf(err, errlen, "no memory");
		proc_free(in);
		return NULL;
	}
	/* watch from now on, not from the first poll (up to an interval away, also after
	 * a reload); the counts of this scan are not reported */
	if (in->n > 0 && in->checks[0].watch != NULL && proc_scan(in) < 0)
		log_debug("proc", in->dev, "first scan failed: processes watched from the first poll");
	return in;
}

/* Reads at most len-1 bytes of a /proc file into buf.  Returns the length or a
 * negative errno. */
static ssize_t proc_read(int dirfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Parses comm and state out of /proc/PID/stat ("pid (comm) S ...").  Returns 0,
 * -ESRCH for a zombie or dead task, or -EINVAL for a malformed line. */
static int proc_parse_stat(const char *stat, struct proc_info *pi)
{
	const char *open = strchr(stat, '('), *close = strrchr(stat, ')');
	size_t len;

	if (open == NULL || close == NULL || close < open || close[1] != ' ')
		return -EINVAL;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(pi->comm))
		len = sizeof(pi->comm) - 1;
	memcpy(pi->comm, open + 1, len);
	pi->comm[len] = '\0';
	return close[2] == 'Z' || close[2] == 'X' ? -ESRCH : 0;
}

/* Turns the NUL-separated cmdline into one line and finds argv[0]'s basename. */
static void proc_parse_cmdline(struct proc_info *pi, size_t len)
{
	const char *slash;
	size_t a0 = strnlen(pi->cmdline, len);

	snprintf(pi->argv0_buf, sizeof(pi->argv0_buf), "%.*s", (int)a0, pi->cmdline);
	slash = strrchr(pi->argv0_buf, '/');
	pi->argv0 = slash ? slash + 1 : pi->argv0_buf;
	for (size_t i = 0; i < len; i++)
		if (pi->cmdline[i] == '\0')
			pi->cmdline[i] = ' ';
	while (len > 0 && pi->cmdline[len - 1] == ' ')
		len--;
	pi->cmdline[len] = '\0';
}

/* Reads one process; 0, -ENOENT/-ESRCH when it is gone or a zombie, or -errno. */
static int proc_read_one(int dirfd, struct proc_info *pi)
{
	char stat[PROC_STAT_MAX];
	ssize_t n = proc_read(dirfd, "stat", stat, sizeof(stat));
	int rc;

	if (n < 0)
		return (int)n;
	if ((rc = proc_parse_stat(stat, pi)) < 0)
		return rc;
	n = proc_read(dirfd, "cmdline", pi->cmdline, sizeof(pi->cmdline));
	if (n < 0)
		return (int)n;
	proc_parse_cmdline(pi, (size_t)n);
	return 0;
}

static bool proc_matches(const struct proc_check *c, const struct proc_info *pi)
{
	if (c->name && strcmp(c->name, pi->comm) != 0 && strcmp(c->name, pi->argv0) != 0)
		return false;
	if (c->has_re && (pi->cmdline[0] == '\0' || regexec(&c->re, pi->cmdline, 0, NULL, 0) != 0))
		return false;
	return true;
}

static bool proc_is_pid(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Keeps a pidfd on a process check c matched; failures leave it to polling. */
static void proc_watch(struct proc_inst *in, struct proc_check *c, pid_t pid)
{
	size_t before;
	int rc;

	if (c->watch == NULL || in->no_pidfd)
		return;
	before = pidwatch_count(c->watch);
	rc = pidwatch_keep(c->watch, pid);
	if (rc == 0 && pidwatch_count(c->watch) > before)
		log_debug("proc", in->dev, "'%s': watching process %d through a pidfd", c->label,
			  (int)pid);
	if (rc == 0 || rc == -ESRCH)
		return; /* watched, or already gone (a re-poll is on its way) */
	if (rc == -ENOSPC) {
		if (!c->watch_full)
			log_debug("proc", in->dev, "'%s': over %d processes, the rest noticed by polling",
				  c->label, PROC_WATCH_MAX);
		c->watch_full = true;
	} else if (rc == -ENOSYS || rc == -EPERM) {
		log_debug("proc", in->dev, "pidfd_open: %s: process exits noticed by polling only",
			  pollutil_errname(-rc));
		in->no_pidfd = true;
	} else {
		log_complain(&in->watch_log, loop_now_ms(in->loop), "proc", in->dev,
			     "cannot watch process %d: %s (noticed by polling)", (int)pid,
			     pollutil_errname(-rc));
	}
}

/* Looks at one /proc/PID directory and counts it in every matching check. */
static void proc_visit(struct proc_inst *in, int procfd, const char *pid,
		       struct proc_info *pi)
{
	int dirfd = openat(procfd, pid, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = dirfd < 0 ? -errno : proc_read_one(dirfd, pi);

	if (dirfd >= 0)
		close(dirfd);
	if (rc == -ENOENT || rc == -ESRCH)
		return; /* exited during the scan, or a zombie */
	if (rc < 0) {
		log_complain(&in->complaint, loop_now_ms(in->loop), "proc", in->dev,
			     "cannot read /proc/%s: %s", pid, pollutil_errname(-rc));
		return;
	}
	pid_t id = (pid_t)strtol(pid, NULL, 10);
	for (size_t i = 0; i < in->n; i++) {
		if (!proc_matches(&in->checks[i], pi))
			continue;
		in->checks[i].count++;
		proc_watch(in, &in->checks[i], id);
	}
}

/* Starts (begin) or ends (!begin) the refresh of every check's pidfd set. */
static void proc_watch_refresh(struct proc_inst *in, bool begin)
{
	for (size_t i = 0; i < in->n; i++) {
		struct proc_check *c = &in->checks[i];

		if (c->watch == NULL)
			continue;
		if (begin) {
			pidwatch_begin(c->watch);
			c->watch_full = c->watch_full && pidwatch_count(c->watch) >= PROC_WATCH_MAX;
		} else {
			pidwatch_end(c->watch);
		}
	}
}

/* Scans /proc once for every check.  0 or a negative errno. */
static int proc_scan(struct proc_inst *in)
{
	struct proc_info *pi = malloc(sizeof(*pi));
	DIR *d = opendir("/proc");
	struct dirent *e;
	int rc = 0;

	if (pi == NULL || d == NULL) {
		rc = pi == NULL ? -ENOMEM : -errno;
		goto out;
	}
	for (size_t i = 0; i < in->n; i++)
		in->checks[i].count = 0;
	proc_watch_refresh(in, true);
	for (size_t seen = 0; seen < PROC_SCAN_MAX && (e = readdir(d)) != NULL; seen++)
		if (proc_is_pid(e->d_name))
			proc_visit(in, dirfd(d), e->d_name, pi);
	proc_watch_refresh(in, false); /* closes the pidfds of processes no longer matched */
out:
	if (d != NULL)
		closedir(d);
	free(pi);
	return rc;
}

static void proc_start(void *arg, struct poll_job *job)
{
	struct proc_inst *in = arg;
	int rc = proc_scan(in);

	for (size_t i = 0; i < in->n; i++) {
		if (rc < 0)
			metric_put_error(in->reg, in->checks[i].m, job->ts_ms, pollutil_errname(-rc));
		else
			metric_put(in->reg, in->checks[i].m, job->ts_ms, in->checks[i].count);
	}
	poll_job_done(job, rc < 0 ? POLL_ERROR : POLL_OK, rc < 0 ? pollutil_errname(-rc) : NULL);
}

static void proc_cancel(void *arg)
{
	(void)arg; /* a poll ends inside start() */
}

const struct poller_ops proc_poller = {
	.name = "proc",
	.wants = proc_wants,
	.create = proc_create,
	.start = proc_start,
	.cancel = proc_cancel,
	.free = proc_free,
};
