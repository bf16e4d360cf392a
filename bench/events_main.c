/* bench/events: the event store at scale, without the network (bench/logs.sh measures
 * the receiver).
 *
 *   bench_events load DIR N DAYS   N events written through the store's own writer
 *                                  (event_store_add, as the syslog receiver does),
 *                                  their received times spread evenly over the DAYS
 *                                  days ending now; the syslog lines of bench/logs.sh
 *                                  from 500 hosts, devices srv000..srv499
 *   bench_events search DIR Q DAYS END
 *                                  Q searches (event_dir_search, as the API does): a
 *                                  time range of 10 min to 1 day starting anywhere in
 *                                  the DAYS days before END (ms, load's end_ms), plus
 *                                  one word, 50 rows, newest first
 *
 * Each prints one line of key=value (search: p50/p99 in ms, the rows found).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dcmon/event.h"

#define DAY_MS 86400000LL

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static unsigned rnd(unsigned *state, unsigned n)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 8) % n;
}

static const char *const users[] = {"alice", "bob", "carol", "dave", "erin", "frank",
				    "backup", "deploy"};
static const char *const programs[] = {"sshd", "sshd", "kernel", "sudo", "CRON"};

/* Line k of bench/logs.sh's five, with random values. */
static void line(unsigned *r, int k, char *buf, size_t len)
{
	const char *u = users[rnd(r, 8)];
	unsigned a = rnd(r, 256), b = rnd(r, 256), c = rnd(r, 256), port = 1024 + rnd(r, 64511);
	unsigned p = 100 + rnd(r, 64900);
	char d = "abcd"[rnd(r, 4)];

	switch (k) {
	case 0:
		snprintf(buf, len, "Failed password for invalid user %s from 10.%u.%u.%u port %u ssh2",
			 u, a, b, c, port);
		break;
	case 1:
		snprintf(buf, len, "Accepted publickey for %s from 10.%u.%u.%u port %u ssh2: ED25519",
			 u, a, b, c, port);
		break;
	case 2:
		snprintf(buf, len, "[%u.%u] EXT4-fs error (device sd%c1): ext4_find_entry:1455: "
			 "inode #%u", p, port, d, port);
		break;
	case 3:
		snprintf(buf, len, "%s : TTY=pts/%c ; PWD=/home/%s ; USER=root ; "
			 "COMMAND=/usr/bin/systemctl restart %sd", u, d, u, u);
		break;
	default:
		snprintf(buf, len, "(root) CMD (/usr/lib/sysstat/debian-sa1 1 1) job %u", port);
	}
}

static int load(const char *dir, long n, int days)
{
	struct cfg_events c = {.dir = (char *)dir, .retention_ms = 400 * DAY_MS,
			       .max_mb = 1 << 20, .warn_percent = 90, .queue_max = 200000};
	char err[256], msg[256], host[16], procid[16];
	unsigned r = 7;
	struct event_store *s = event_store_open(&c, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int64_t end = wall_ms(), span = (int64_t)days * DAY_MS;
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		int k = (int)rnd(&r, 5);
		line(&r, k, msg, sizeof(msg));
		snprintf(host, sizeof(host), "srv%03u", rnd(&r, 500));
		snprintf(procid, sizeof(procid), "%u", 100 + rnd(&r, 64900));
		struct event_field f = {"procid", procid};
		int64_t rx = end - span + (int64_t)((double)span * (double)i / (double)n);
		struct event ev = {.received_ms = rx, .reported_ms = rx, .kind = EVENT_SYSLOG,
				   .source = "10.0.0.1", .host = host, .device = host,
				   .facility = 4, .severity = (int)rnd(&r, 8), .program = programs[k],
				   .message = msg, .fields = &f, .nfields = 1};
		while (event_store_add(s, &ev) == -ENOBUFS)
			event_store_sync(s); /* the queue is full: let the writer catch up */
	}
	event_store_sync(s);
	double sec = now_s() - t0;
	struct event_store_stats st;
	event_store_get_stats(s, &st);
	event_store_close(s);
	printf("loaded=%llu lost=%llu load_s=%.1f load_events_per_s=%.0f end_ms=%lld\n",
	       (unsigned long long)st.written,
	       (unsigned long long)st.write_errors, sec, (double)n / sec,
	       (long long)end);
	return st.written == (unsigned long long)n ? 0 : 1;
}

static bool count_row(void *arg, int64_t id, const struct event *ev)
{
	(void)id;
	(void)ev;
	(*(long *)arg)++;
	return true;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int search(const char *dir, int q, int days, int64_t end)
{
	static const char *const words[] = {"invalid", "publickey", "ext4_find_entry",
					    "systemctl", "alice", "bob", "deploy"};
	double *lat = calloc((size_t)q, sizeof(*lat));
	int64_t span = (int64_t)days * DAY_MS;
	unsigned r = 3;
	long rows = 0;
	char err[256];

	if (!lat)
		return 1;
	for (int i = 0; i < q; i++) {
		int64_t len = 600000 + (int64_t)rnd(&r, (unsigned)((DAY_MS - 600000) / 1000)) * 1000;
		int64_t from = end - span + (int64_t)rnd(&r, (unsigned)(span / 1000)) * 1000;
		struct event_query eq = {.from_ms = from, .to_ms = from + len, .kind = -1,
					 .severity_max = -1, .text = words[rnd(&r, 7)], .limit = 50};
		double t0 = now_s();
		if (event_dir_search(dir, &eq, count_row, &rows, err, sizeof(err)) < 0) {
			fprintf(stderr, "search: %s\n", err);
			free(lat);
			return 1;
		}
		lat[i] = (now_s() - t0) * 1000;
	}
	qsort(lat, (size_t)q, sizeof(*lat), cmp);
	printf("searches=%d search_p50_ms=%.2f search_p99_ms=%.2f search_max_ms=%.2f rows=%ld\n",
	       q, lat[q / 2], lat[q * 99 / 100 > 0 ? q * 99 / 100 - 1 : 0], lat[q - 1], rows);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "load") == 0)
		return load(argv[2], atol(argv[3]), atoi(argv[4]));
	if (argc == 6 && strcmp(argv[1], "search") == 0)
		return search(argv[2], atoi(argv[3]), atoi(argv[4]), atoll(argv[5]));
	fprintf(stderr, "usage: bench_events load DIR N DAYS | search DIR Q DAYS END_MS\n");
	return 2;
}
