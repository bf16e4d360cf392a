/* Test helpers for the Modbus tests: start/stop the pymodbus peer
 * (tests/peers/modbus_peer.py, run with /usr/bin/python3) and run a loop until a flag is
 * set, bounded in time. */
#ifndef DCMON_TEST_MODBUS_PEER_H
#define DCMON_TEST_MODBUS_PEER_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dcmon/loop.h"

#define PEER_START_MS 20000 /* upper bound for python + pymodbus to start */

struct mb_peer {
	pid_t pid;
	int port;      /* TCP peer */
	char tty[64];  /* RTU peer: the pty to open */
};

/* The last lines of the peer's stderr, so a peer that cannot start (a missing python
 * module, say) is one clear test failure instead of a bare -1. */
static inline void mb_peer_report(const char *script, FILE *err, const char *line)
{
	char buf[4096];
	size_t n;

	fflush(err);
	fseek(err, 0, SEEK_END);
	long size = ftell(err);
	fseek(err, size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0, SEEK_SET);
	n = fread(buf, 1, sizeof buf - 1, err);
	buf[n] = '\0';
	fprintf(stderr, "modbus peer %s did not start (first line: \"%s\"); its stderr ends:\n%s\n",
		script, line, n ? buf : "(empty)");
}

/* Runs `python3 script [--port port]` and reads its first line into line.  0 or -1 (after
 * reporting the peer's stderr and killing it). */
static inline int mb_peer_spawn(struct mb_peer *p, const char *script, int port, char *line,
				size_t linelen)
{
	int fds[2];
	char arg[16];
	size_t len = 0;
	int64_t end = clock_mono_ms() + PEER_START_MS;
	FILE *err = tmpfile();

	if (!err || pipe(fds) < 0) {
		fprintf(stderr, "modbus peer %s: %s\n", script, strerror(errno));
		if (err)
			fclose(err);
		return -1;
	}
	snprintf(arg, sizeof arg, "%d", port);
	p->pid = fork();
	if (p->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed test */
		dup2(fds[1], 1);
		dup2(fileno(err), 2);
		close(fds[0]);
		execl("/usr/bin/python3", "python3", script, port >= 0 ? "--port" : (char *)NULL,
		      arg, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	line[0] = '\0';
	while (len < linelen - 1 && !strchr(line, '\n') && clock_mono_ms() < end) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(fds[0], line + len, linelen - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		line[len] = '\0';
	}
	close(fds[0]);
	if (!strchr(line, '\n')) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
		mb_peer_report(script, err, line);
		fclose(err);
		return -1;
	}
	fclose(err);
	return 0;
}

/* The peer started but said something else than expected: stop it, say what it said. */
static inline int mb_peer_unexpected(struct mb_peer *p, const char *script, const char *line)
{
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
	fprintf(stderr, "modbus peer %s: unexpected first line \"%s\"\n", script, line);
	return -1;
}

/* Starts the TCP peer on `port` (0 = any free port) and reads the port it bound.
 * Returns 0 or -1. */
static inline int mb_peer_start(struct mb_peer *p, int port)
{
	static const char script[] = DCMON_SOURCE_DIR "/tests/peers/modbus_peer.py";
	char line[64];

	if (mb_peer_spawn(p, script, port, line, sizeof line) < 0)
		return -1;
	if (sscanf(line, "PORT %d", &p->port) != 1)
		return mb_peer_unexpected(p, script, line);
	return 0;
}

/* Starts the RTU peer (pymodbus serial server behind a pty pair); p->tty is the line. */
static inline int mb_peer_start_rtu(struct mb_peer *p)
{
	static const char script[] = DCMON_SOURCE_DIR "/tests/peers/modbus_rtu_peer.py";
	char line[128];

	if (mb_peer_spawn(p, script, -1, line, sizeof line) < 0)
		return -1;
	if (sscanf(line, "TTY %63s", p->tty) != 1)
		return mb_peer_unexpected(p, script, line);
	return 0;
}

static inline void mb_peer_stop(struct mb_peer *p)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
}

struct mb_wait {
	bool (*pred)(void *arg);
	void *arg;
	int64_t end_ms;
	struct loop_timer *tick;
};

static inline void mb_wait_tick(struct loop *loop, void *arg)
{
	struct mb_wait *w = arg;

	w->tick = NULL;
	if (w->pred(w->arg) || clock_mono_ms() >= w->end_ms)
		loop_stop(loop);
	else
		w->tick = loop_timer_add(loop, 5, mb_wait_tick, w);
}

/* Runs the loop until pred(arg) is true or max_ms passed; returns pred(arg). */
static inline bool mb_run_until_fn(struct loop *loop, bool (*pred)(void *), void *arg,
				   int64_t max_ms)
{
	struct mb_wait w = { .pred = pred, .arg = arg, .end_ms = clock_mono_ms() + max_ms };

	if (pred(arg))
		return true;
	w.tick = loop_timer_add(loop, 5, mb_wait_tick, &w);
	loop_run(loop);
	loop_timer_cancel(loop, w.tick);
	return pred(arg);
}

static inline bool mb_flag(void *arg)
{
	return *(bool *)arg;
}

/* Runs the loop until *flag is true or max_ms passed; returns *flag. */
static inline bool mb_run_until(struct loop *loop, bool *flag, int64_t max_ms)
{
	return mb_run_until_fn(loop, mb_flag, flag, max_ms);
}

#endif
