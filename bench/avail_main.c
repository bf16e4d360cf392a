/* Availability report benchmark (bench/avail.sh): DEVICES servers of TENANTS tenants
 * behind one UPS per 100, a history of SPANS_PER_MONTH outages per server per month
 * (one in five under its UPS as suppression root, the UPS down then too) and a
 * maintenance window per 50 servers a month, written into a fresh reports.db/alerts.db;
 * then times reading the history, building the NOC's report and serializing it, for
 * PERIOD.  Prints one line of key=value.
 *
 *   bench_avail DIR DEVICES PERIOD [SPANS_PER_MONTH=4] */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcmon/avail_report.h"
#include "dcmon/config.h"

#define TENANTS 20
#define PER_UPS 100
#define DAY_MS 86400000LL

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void write_config(const char *path, int devices)
{
	FILE *f = fopen(path, "w");
	if (!f)
		exit(1);
	fprintf(f, "daemon:\n  data_dir: /tmp/dcmon-bench-unused\ntenants:\n");
	for (int t = 0; t < TENANTS; t++)
		fprintf(f, "  - {id: t%d, email: [noc@t%d.example]}\n", t, t);
	fprintf(f, "sites:\n  - {id: s1, rooms: [{id: r1}]}\ndevices:\n");
	for (int u = 0; u < (devices + PER_UPS - 1) / PER_UPS; u++)
		fprintf(f, "  - {id: ups-%d, kind: ups, location: {site: s1, room: r1}}\n", u);
	for (int i = 0; i < devices; i++)
		fprintf(f, "  - {id: srv-%d, kind: server, tenant: t%d, fed_by: ups-%d,"
			   " location: {site: s1, room: r1}}\n",
			i, i % TENANTS, i / PER_UPS);
	fclose(f);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, msg);
		exit(1);
	}
}

/* The history: one run over everything, the outages, the maintenance windows. */
static void write_history(const char *dir, int devices, int64_t from, int64_t to, int spans)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t months = (to - from) / (30 * DAY_MS) + 1;
	struct avail_recorder *r;
	char err[256];

	if (!(r = avail_recorder_new(dir, NULL, NULL, NULL, from - DAY_MS, err, sizeof(err))))
		exit(1);
	avail_recorder_free(r, to + DAY_MS);
	snprintf(path, sizeof(path), "%s/reports.db", dir);
	sqlite3_open(path, &db);
	exec_sql(db, "BEGIN");
	sqlite3_prepare_v2(db, "INSERT INTO down(object, device, start_ms, end_ms, root)"
			       " VALUES(?, ?, ?, ?, ?)", -1, &s, NULL);
	srand(42);
	for (int i = 0; i < devices; i++)
		for (int64_t k = 0; k < months * spans; k++) {
			char object[64], device[32], ups[32];
			int64_t start = from + rand() % (to - from), len = 60000 + rand() % 3600000;
			bool under_ups = k % 5 == 0;
			snprintf(device, sizeof(device), "srv-%d", i);
			snprintf(object, sizeof(object), "srv-%d/%s", i, k % 2 ? "ping_state" :
					 "tcp_connect_state:443");
			snprintf(ups, sizeof(ups), "ups-%d", i / PER_UPS);
			sqlite3_bind_text(s, 1, object, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(s, 2, device, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(s, 3, start);
			sqlite3_bind_int64(s, 4, start + len);
			if (under_ups)
				sqlite3_bind_text(s, 5, ups, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(s, 5);
			sqlite3_step(s);
			sqlite3_reset(s);
		}
	sqlite3_finalize(s);
	exec_sql(db, "COMMIT");
	sqlite3_close(db);

	snprintf(path, sizeof(path), "%s/alerts.db", dir);
	sqlite3_open(path, &db);
	exec_sql(db, "CREATE TABLE silences(id INTEGER PRIMARY KEY, device TEXT, kind TEXT,"
		     " site TEXT, room TEXT, tenant TEXT, metric TEXT, inst TEXT, labels TEXT,"
		     " rule TEXT, reason TEXT NOT NULL, created_by TEXT NOT NULL, created_ms"
		     " INTEGER NOT NULL, starts_ms INTEGER NOT NULL, ends_ms INTEGER NOT NULL,"
		     " days INTEGER NOT NULL, start_min INTEGER NOT NULL, end_min INTEGER NOT"
		     " NULL, tz TEXT, deleted_ms INTEGER); BEGIN");
	for (int i = 0; i < devices; i += 50)
		for (int64_t m = 0; m < months; m++) {
			char sql[512];
			int64_t start = from + m * 30 * DAY_MS + (int64_t)(rand() % 29) * DAY_MS;
			snprintf(sql, sizeof(sql),
				 "INSERT INTO silences(device, reason, created_by, created_ms,"
				 " starts_ms, ends_ms, days, start_min, end_min) VALUES('srv-%d',"
				 " 'maintenance', 'bench', 0, %lld, %lld, 0, 0, 0)",
				 i, (long long)start, (long long)(start + 4 * 3600000LL));
			exec_sql(db, sql);
		}
	exec_sql(db, "COMMIT");
	sqlite3_close(db);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_avail DIR DEVICES PERIOD [SPANS_PER_MONTH]\n");
		return 2;
	}
	const char *dir = argv[1], *period = argv[3];
	int devices = atoi(argv[2]), spans = argc > 4 ? atoi(argv[4]) : 4;
	char path[512];
	struct cfg_diags d;
	struct avail_report_req req = {.period = period};
	struct avail_history h;
	char err[256];

	if (avail_period_parse(period, &req.from_ms, &req.to_ms) < 0)
		return 2;
	req.now_ms = req.to_ms + DAY_MS;
	snprintf(path, sizeof(path), "%s/bench.yaml", dir);
	write_config(path, devices);
	cfg_diags_init(&d);
	req.cfg = cfg_load(path, &d);
	cfg_diags_free(&d);
	if (!req.cfg)
		return 1;
	write_history(dir, devices, req.from_ms, req.to_ms, spans);

	double t0 = now_s();
	if (avail_history_read(dir, req.from_ms, req.to_ms, req.now_ms, &h, err, sizeof(err)) < 0)
		return 1;
	double t1 = now_s();
	json_t *rep = avail_report_build(&req, &h);
	double t2 = now_s();
	char *text = json_dumps(rep, JSON_COMPACT);
	double t3 = now_s();
	if (!rep || !text)
		return 1;
	printf("devices=%d period=%s spans=%zu windows=%zu read_ms=%.0f build_ms=%.0f"
	       " json_ms=%.0f total_ms=%.0f json_bytes=%zu outages=%zu\n",
	       devices, period, h.ndown, h.nplanned, 1e3 * (t1 - t0), 1e3 * (t2 - t1),
	       1e3 * (t3 - t2), 1e3 * (t3 - t0), strlen(text),
	       json_array_size(json_object_get(rep, "outages")));
	free(text);
	json_decref(rep);
	avail_history_free(&h);
	cfg_free((struct cfg *)req.cfg);
	return 0;
}
