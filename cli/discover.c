/* `dcmon discover RANGE`: sweeps an address range (pollers/discover.c does the asking)
 * and writes what answered as device stanzas to review.  On a terminal a progress bar
 * (done/total, rate, ETA, found) is redrawn in place; piped, the same facts come as
 * plain lines.  Everything but the stanzas is a YAML comment, so that the whole output
 * can be saved and included.  --json gives one document at the end.  Ctrl-C stops the
 * sweep and prints what was found so far. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/config.h"
#include "dcmon/discover.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/vec.h"

#define DISCOVER_PROFILES_DIR "/etc/dcmon/profiles"
#define BAR_WIDTH 24          /* cells of the progress bar */
#define PLAIN_EVERY_MS 2000   /* a plain progress line at most this often (piped) */
#define ID_MAX 160

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct found {
	struct discover_host h;
	char id[ID_MAX];
};

struct disc {
	const struct cli_ctx *ctx;
	const char *range_text;
	struct discover_opts o;
	struct discover_range range;
	bool json, tty, large;
	struct found *v;
	size_t n, cap;
	size_t nsnmp;
	uint64_t done;          /* addresses done, as last reported */
	int64_t t0_ms, last_plain_ms;
	bool bar_shown;
};

static int discover_usage(FILE *f, int code)
{
	fprintf(f, "usage: dcmon discover %s\n", cli_cmd_find("discover")->usage);
	fprintf(f,
		"  RANGE              10.0.0.0/24 (network and broadcast left out),\n"
		"                     10.0.0.5-10.0.0.50, 10.0.0.5-50, 2001:db8::/120, or one\n"
		"                     address; at most %d addresses (%d with --large)\n"
		"  --community C      SNMP v1/v2c community (default public)\n"
		"  --version 1|2c     SNMP version with --community (default 2c)\n"
		"  --v3 KEY=VAL,...   SNMPv3 instead, with the config's keys: user (required),\n"
		"                     auth_proto, auth_pass, priv_proto, priv_pass, context\n"
		"  --snmp-port N      UDP port of the agents (default 161)\n"
		"  --ports P,P,...    TCP ports to try (at most %d); open ones become tcp checks\n"
		"  --concurrency N    addresses asked at once, 1..%d (default %d)\n"
		"  --timeout MS       wait for an answer, per try (default %d)\n"
		"  --profiles DIR     SNMP profiles (default " DISCOVER_PROFILES_DIR ")\n"
		"  --large            allow up to %d addresses\n"
		"  --json             one JSON document at the end instead of lines and YAML\n"
		"Output: one line per address that answered, then a `devices:` stanza for each\n"
		"(every other line a YAML comment: the output can be saved and reviewed as is).\n"
		"Ctrl-C stops the sweep and prints what was found; the exit code is then 1.\n",
		DISCOVER_RANGE_MAX, DISCOVER_RANGE_LARGE_MAX, DISCOVER_PORTS_MAX,
		DISCOVER_CONCURRENCY_MAX, DISCOVER_CONCURRENCY_DEFAULT,
		DISCOVER_TIMEOUT_DEFAULT_MS, DISCOVER_RANGE_LARGE_MAX);
	return code;
}

/* ---- options --------------------------------------------------------------------- */

static bool parse_ports(char *s, struct discover_opts *o)
{
	long long port;

	for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nports == DISCOVER_PORTS_MAX || cli_parse_int(tok, 1, 65535, &port) < 0)
			return false;
		o->ports[o->nports++] = (int)port;
	}
	return o->nports > 0;
}

/* A numeric option's value into *dst; false when out of min..max. */
static bool set_int(const char *arg, long min, long max, int *dst)
{
	long long v;

	if (cli_parse_int(arg, min, max, &v) < 0)
		return false;
	*dst = (int)v;
	return true;
}

static bool option(struct disc *d, int c, char *arg)
{
	int ms;

	switch (c) {
	case 'c':
		d->o.snmp.community = arg;
		return true;
	case 'V':
		d->o.snmp.version = !strcmp(arg, "1") ? SNMPCFG_V1 : SNMPCFG_V2C;
		return !strcmp(arg, "1") || !strcmp(arg, "2c");
	case '3':
		return discover_v3_parse(arg, &d->o.snmp) == 0;
	case 'P':
		return set_int(arg, 1, 65535, &d->o.snmp.port);
	case 'p':
		return parse_ports(arg, &d->o);
	case 'n':
		return set_int(arg, 1, DISCOVER_CONCURRENCY_MAX, &d->o.concurrency);
	case 't':
		if (!set_int(arg, 10, 60000, &ms))
			return false;
		d->o.timeout_ms = ms;
		return true;
	case 'd':
		d->o.profiles_dir = arg;
		return true;
	case 'L':
		d->large = true;
		return true;
	case 'j':
		d->json = true;
		return true;
	}
	return false;
}

/* 0, 'h' for --help, '?' for a usage error (said on ctx->err). */
static int parse(int argc, char **argv, struct disc *d)
{
	static const struct option longopts[] = {
		{"community", required_argument, NULL, 'c'}, {"version", required_argument, NULL, 'V'},
		{"v3", required_argument, NULL, '3'},        {"snmp-port", required_argument, NULL, 'P'},
		{"ports", required_argument, NULL, 'p'},     {"concurrency", required_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'},   {"profiles", required_argument, NULL, 'd'},
		{"large", no_argument, NULL, 'L'},           {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
	};
	int c, idx = 0;

	discover_opts_init(&d->o);
	d->o.profiles_dir = DISCOVER_PROFILES_DIR;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		if (c == '?' || c == 'h')
			return c;
		if (!option(d, c, optarg)) {
			fprintf(d->ctx->err, "dcmon discover: bad value '%s' for --%s\n", optarg,
				longopts[idx].name);
			return '?';
		}
	}
	if (optind != argc - 1) {
		fprintf(d->ctx->err, "dcmon discover: expected one RANGE\n");
		return '?';
	}
	d->range_text = argv[optind];
	char err[256];
	if (discover_range_parse(d->range_text, d->large ? DISCOVER_RANGE_LARGE_MAX : DISCOVER_RANGE_MAX,
				 &d->range, err, sizeof(err)) < 0) {
		fprintf(d->ctx->err, "dcmon discover: %s", err);
		if (!d->large && strstr(err, "more than"))
			fprintf(d->ctx->err, " (--large allows up to %d)", DISCOVER_RANGE_LARGE_MAX);
		fputc('\n', d->ctx->err);
		return '?';
	}
	return 0;
}

/* ---- what was found ---------------------------------------------------------------- */

/* text with every byte a config id cannot hold made '-', appended at id[n]. */
static void id_append(char *id, size_t n, size_t len, const char *text)
{
	for (const char *p = text; *p && n + 1 < len; p++)
		id[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				  (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'
			  ? *p : '-';
	id[n] = '\0';
}

/* True if one of the first n devices has this id. */
static bool id_taken(const struct disc *d, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(d->v[i].id, id))
			return true;
	return false;
}

/* Each device's config id, in address order: its sysName made valid, else its
 * address; a later device of the same name gets its address appended. */
static void assign_ids(struct disc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct discover_host *h = &d->v[i].h;
		char *id = d->v[i].id;
		id_append(id, 0, ID_MAX, h->sys_name[0] ? h->sys_name : h->addr);
		if (h->sys_name[0] && id_taken(d, i, id)) {
			size_t n = strlen(id);
			id_append(id, n, ID_MAX, "-");
			id_append(id, n + 1, ID_MAX, h->addr);
		}
	}
}

/* "10.0.0.5: ping 0.21 ms, snmp ups1 profile ups-rfc1628, tcp 22 80" */
static void found_line(FILE *out, const struct discover_host *h)
{
	fprintf(out, "# found %s:", h->addr);
	if (h->ping)
		fprintf(out, " ping %.2f ms", h->rtt_s * 1000);
	if (h->snmp)
		fprintf(out, "%s snmp %s (%s) profile %s", h->ping ? "," : "",
			h->sys_name[0] ? h->sys_name : "-", h->sys_oid[0] ? h->sys_oid : "-",
			h->profile[0] ? h->profile : "none");
	if (h->nopen) {
		fprintf(out, "%s tcp", h->ping || h->snmp ? "," : "");
		for (size_t i = 0; i < h->nopen; i++)
			fprintf(out, " %d", h->open_ports[i]);
	}
	fputc('\n', out);
}

/* ---- progress ---------------------------------------------------------------------- */

static void clear_bar(struct disc *d)
{
	if (d->bar_shown)
		fputs("\r\033[K", d->ctx->out);
	d->bar_shown = false;
}

/* "[#######.........] 120/254  47%  85/s  ETA 2s  found 12 (snmp 10)" */
static void draw_bar(struct disc *d, uint64_t done, uint64_t total, double rate)
{
	int fill = total ? (int)(done * BAR_WIDTH / total) : BAR_WIDTH;
	char bar[BAR_WIDTH + 1], eta[16];

	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	if (rate > 0)
		cli_format_age((double)(total - done) / rate, eta, sizeof(eta));
	else
		snprintf(eta, sizeof(eta), "-");
	fprintf(d->ctx->out, "\r\033[K[%s] %llu/%llu %3d%%  %.0f/s  ETA %s  found %zu (snmp %zu)",
		bar, (unsigned long long)done, (unsigned long long)total,
		total ? (int)(done * 100 / total) : 100, rate, eta, d->n, d->nsnmp);
	fflush(d->ctx->out);
	d->bar_shown = true;
}

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct disc *d = arg;
	int64_t now = clock_mono_ms();
	double secs = (double)(now - d->t0_ms) / 1000;
	double rate = secs > 0 ? (double)done / secs : 0;

	d->done = done;
	if (d->json)
		return;
	if (d->tty) {
		draw_bar(d, done, total, rate);
	} else if (now - d->last_plain_ms >= PLAIN_EVERY_MS && done < total) {
		d->last_plain_ms = now;
		fprintf(d->ctx->out, "# progress %llu/%llu addresses, %.0f/s, %zu found\n",
			(unsigned long long)done, (unsigned long long)total, rate, d->n);
		fflush(d->ctx->out);
	}
}

static void on_found(void *arg, const struct discover_host *h)
{
	struct disc *d = arg;

	struct found *v = vec_grow(d->v, &d->cap, d->n, sizeof(*v), 64);
	if (!v)
		return; /* said at the end: found counts what was kept */
	d->v = v;
	struct found *f = &d->v[d->n];
	f->h = *h;
	d->n++;
	d->nsnmp += h->snmp;
	if (d->json)
		return;
	clear_bar(d);
	found_line(d->ctx->out, h);
	fflush(d->ctx->out);
}

/* ---- the end ----------------------------------------------------------------------- */

static int by_address(const void *a, const void *b)
{
	struct net_addr x, y;

	if (!net_addr_parse(((const struct found *)a)->h.addr, &x) ||
	    !net_addr_parse(((const struct found *)b)->h.addr, &y))
		return 0;
	return memcmp(x.b, y.b, sizeof(x.b));
}

static void print_yaml(const struct disc *d, uint64_t done, double secs, bool cut)
{
	FILE *out = d->ctx->out;

	fprintf(out, "# %s %llu of %llu addresses of %s in %.1f s: %zu found, %zu with SNMP\n",
		cut ? "interrupted: swept" : "swept", (unsigned long long)done,
		(unsigned long long)d->range.count, d->range_text, secs, d->n, d->nsnmp);
	if (!d->n)
		return;
	fputs("devices:\n", out);
	for (size_t i = 0; i < d->n; i++)
		discover_stanza(out, &d->v[i].h, d->v[i].id, &d->o);
}

static json_t *device_json(const struct disc *d, const struct found *f)
{
	const struct discover_host *h = &f->h;
	json_t *ports = json_array();
	char *stanza = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&stanza, &len);

	for (size_t i = 0; i < h->nopen; i++)
		json_array_append_new(ports, json_integer(h->open_ports[i]));
	if (mem) {
		discover_stanza(mem, h, f->id, &d->o);
		fclose(mem);
	}
	json_t *j = json_pack("{s:s, s:s, s:b, s:o, s:b, s:o, s:o}", "id", f->id, "address",
			      h->addr, "ping", h->ping, "rtt_ms",
			      h->ping ? json_real(h->rtt_s * 1000) : json_null(), "snmp", h->snmp,
			      "tcp_open", ports, "stanza", json_string(stanza ? stanza : ""));
	if (j && h->snmp)
		json_object_set_new(j, "snmp_info", json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?}",
			"sys_object_id", h->sys_oid, "sys_name", h->sys_name, "sys_descr",
			h->sys_descr, "profile", h->profile[0] ? h->profile : NULL, "kind",
			h->kind >= 0 ? dev_kind_name((enum dev_kind)h->kind) : NULL, "reason",
			h->snmp_reason[0] ? h->snmp_reason : NULL));
	free(stanza);
	return j;
}

static void print_json(const struct disc *d, uint64_t done, double secs, bool cut)
{
	json_t *devs = json_array();

	for (size_t i = 0; i < d->n; i++)
		json_array_append_new(devs, device_json(d, &d->v[i]));
	json_t *j = json_pack("{s:s, s:I, s:I, s:f, s:b, s:I, s:o}", "range", d->range_text,
			      "addresses", (json_int_t)d->range.count, "swept", (json_int_t)done,
			      "seconds", secs, "interrupted", cut, "found", (json_int_t)d->n,
			      "devices", devs);
	cli_print_json(d->ctx, j);
	json_decref(j);
}

int cli_discover(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct disc d = {.ctx = ctx, .tty = isatty(fileno(ctx->out))};
	int rc = parse(argc, argv, &d);
	char err[256] = "";

	if (rc)
		return rc == 'h' ? discover_usage(ctx->out, 0) : discover_usage(ctx->err, CLI_EXIT_UNKNOWN);
	log_set_level(LOG_LVL_ERROR); /* the lines say it; no poller log lines */
	struct sigaction sa = {.sa_handler = on_sigint}, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old); /* no SA_RESTART: the loop's wait wakes up */
	interrupted = 0;
	d.t0_ms = d.last_plain_ms = clock_mono_ms();
	struct discover_cb cb = {.found = on_found, .progress = on_progress, .arg = &d};
	rc = discover_run(&d.range, &d.o, &cb, &interrupted, err, sizeof(err));
	sigaction(SIGINT, &old, NULL);
	double secs = (double)(clock_mono_ms() - d.t0_ms) / 1000;
	if (!d.json)
		clear_bar(&d);
	if (rc < 0 && rc != -EINTR) {
		fprintf(ctx->err, "dcmon discover: %s\n", err);
		free(d.v);
		return CLI_EXIT_UNKNOWN;
	}
	if (d.n)
		qsort(d.v, d.n, sizeof(*d.v), by_address);
	assign_ids(&d);
	if (d.json)
		print_json(&d, d.done, secs, rc == -EINTR);
	else
		print_yaml(&d, d.done, secs, rc == -EINTR);
	free(d.v);
	return rc == -EINTR ? 1 : 0;
}
