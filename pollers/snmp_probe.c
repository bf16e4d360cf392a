/* `dcmon probe snmp HOST`: polls an agent once with every profile of a directory, through
 * the poller itself (same requests, same learning of what the agent does not
 * implement), lists how many points of each the agent answers, and prints the device
 * stanza that probing selects (docs/PROFILES.md, "Choosing profiles"). */
#include "snmp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"

#define PROBE_PROFILES_DIR "/etc/dcmon/profiles" /* installed profiles */
#define PROBE_TIMEOUT_MS 2000                    /* wait per try, default */

struct probe_req {
	char *host;
	int port;
	int version;           /* enum snmp_cfg_version: 1 or 2c */
	const char *community;
	const char *dir;       /* profiles */
	long timeout_ms;
};

/* One poll of the agent as a device: its config (the instance points to it) and its end. */
struct probe_run {
	struct poll_job job;   /* first: the job handed to start() */
	struct cfg_snmp snmp;
	struct cfg_device dev;
	struct loop *loop;
	enum poll_outcome outcome;
	char reason[METRIC_REASON_MAX];
	bool done;
};

static void probe_job_done(struct poll_job *job, enum poll_outcome o, const char *reason)
{
	struct probe_run *r = (struct probe_run *)job;

	r->outcome = o;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	r->done = true;
	loop_stop(r->loop);
}

/* Polls the agent once as a device with profile (NULL: selected by probing); the
 * instance is returned for its counts, NULL when it cannot be created. */
static struct snmp_dev *probe_poll(const struct probe_req *pr, const struct poller_env *env,
				   const char *profile, struct probe_run *r, char *err,
				   size_t errlen)
{
	*r = (struct probe_run){.loop = env->loop};
	snmp_cfg_defaults(&r->snmp);
	r->snmp.port = pr->port;
	r->snmp.version = pr->version;
	r->snmp.community = (char *)pr->community;
	r->snmp.timeout_ms = pr->timeout_ms;
	r->dev = (struct cfg_device){.id = pr->host, .host = pr->host, .profile = (char *)profile,
				     .interval_ms = 60000, .timeout_ms = pr->timeout_ms * 3};
	*cfg_device_slot(&r->dev, "snmp") = &r->snmp;
	struct snmp_dev *d = snmp_poller.create(env, &r->dev, err, errlen);
	if (!d)
		return NULL;
	r->job = (struct poll_job){.ts_ms = clock_wall_ms(), .done = probe_job_done,
				   .deadline_ms = loop_now_ms(env->loop) + pr->timeout_ms * 4};
	snmp_poller.start(d, &r->job);
	while (!r->done && loop_run(env->loop) == 0)
		;
	return d;
}

static int answered_points(const struct snmp_dev *d)
{
	int n = 0;

	for (size_t i = 0; d->prof && i < d->prof->npoints; i++)
		n += !d->ps[i].unanswered;
	return n;
}

/* One line per profile: points answered, and why it does not fit if it does not. */
static void probe_profile_line(const struct probe_req *pr, const struct poller_env *env,
			       const struct snmp_profile *p, FILE *out)
{
	struct probe_run r;
	char err[256] = "";
	struct snmp_dev *d = probe_poll(pr, env, p->name, &r, err, sizeof(err));

	if (!d) {
		fprintf(out, "%-28s  cannot poll: %s\n", p->name, err);
		return;
	}
	if (r.outcome == POLL_UNREACHABLE)
		fprintf(out, "%-28s  no answer: %s\n", p->name, r.reason);
	else
		fprintf(out, "%-28s  %3d of %3zu points answer%s%s\n", p->name, answered_points(d),
			p->npoints, strstr(r.reason, "does not fit") ? "  " : "",
			strstr(r.reason, "does not fit") ? r.reason : "");
	snmp_poller.free(d);
}

/* The profiles probing selects, as a device stanza for the config. */
static int probe_stanza(const struct probe_req *pr, const struct poller_env *env, FILE *out,
			FILE *errout)
{
	struct probe_run r;
	char err[256] = "";
	struct snmp_dev *d = probe_poll(pr, env, NULL, &r, err, sizeof(err));

	if (!d || !d->prof) {
		fprintf(errout, "dcmon probe snmp: %s: %s\n", pr->host, d ? r.reason : err);
		snmp_poller.free(d);
		return -ENOENT;
	}
	fprintf(out, "\n# profiles that fit (probe_oid answered, sysObjectID): %s\n"
		"devices:\n  - id: %s\n    host: %s\n    profile: %s\n"
		"    snmp: {version: %s, community: %s, port: %d}\n",
		d->prof->name, pr->host, pr->host, d->prof->name,
		pr->version == SNMPCFG_V1 ? "1" : "2c", pr->community, pr->port);
	snmp_poller.free(d);
	return 0;
}

/* One "--option value" pair; -EINVAL if unknown or out of range. */
static int probe_option(const char *opt, const char *val, struct probe_req *pr)
{
	char *end;

	if (!strcmp(opt, "--community"))
		pr->community = val;
	else if (!strcmp(opt, "--profiles"))
		pr->dir = val;
	else if (!strcmp(opt, "--version") && (!strcmp(val, "1") || !strcmp(val, "2c")))
		pr->version = !strcmp(val, "1") ? SNMPCFG_V1 : SNMPCFG_V2C;
	else if (!strcmp(opt, "--timeout"))
		return (pr->timeout_ms = strtol(val, &end, 10)) >= 10 && pr->timeout_ms <= 60000 &&
		       *end == '\0' ? 0 : -EINVAL;
	else
		return -EINVAL;
	return 0;
}

static int probe_args(int argc, char **argv, struct probe_req *pr, char *err, size_t errlen)
{
	char *end;

	*pr = (struct probe_req){.port = 161, .version = SNMPCFG_V2C, .community = "public",
				 .dir = PROBE_PROFILES_DIR, .timeout_ms = PROBE_TIMEOUT_MS};
	if (argc < 1 || argv[0][0] == '-') {
		snprintf(err, errlen, "expected HOST[:PORT] first");
		return -EINVAL;
	}
	pr->host = argv[0];
	char *colon = strrchr(pr->host, ':');
	if (colon && colon == strchr(pr->host, ':')) { /* one colon: HOST:PORT, not IPv6 */
		*colon = '\0';
		long port = strtol(colon + 1, &end, 10);
		if (*end || port < 1 || port > 65535) {
			snprintf(err, errlen, "bad port %s", colon + 1);
			return -EINVAL;
		}
		pr->port = (int)port;
	}
	for (int i = 1; i < argc; i += 2)
		if (i + 1 >= argc || probe_option(argv[i], argv[i + 1], pr) < 0) {
			snprintf(err, errlen, "bad option %s%s%s", argv[i], i + 1 < argc ? " " : "",
				 i + 1 < argc ? argv[i + 1] : "");
			return -EINVAL;
		}
	return 0;
}

int snmp_probe_main(int argc, char **argv, FILE *out, FILE *errout)
{
	struct probe_req pr;
	char err[160];
	size_t n;

	if (probe_args(argc, argv, &pr, err, sizeof(err)) < 0) {
		fprintf(errout, "dcmon probe snmp: %s\nusage: dcmon probe snmp HOST[:PORT] "
			"[--community C] [--version 1|2c] [--profiles DIR] [--timeout MS]\n", err);
		return 2;
	}
	struct snmp_profile **all = snmp_profiles_all(pr.dir, &n);
	if (n == 0) {
		fprintf(errout, "dcmon probe snmp: no SNMP profile in %s (--profiles DIR)\n", pr.dir);
		return 1;
	}
	struct cfg cfg = {.daemon.profiles_dir = (char *)pr.dir};
	struct poller_env env = {.loop = loop_new(), .reg = metric_reg_new(), .cfg = &cfg};
	int rc = -ENOMEM;
	if (env.loop && env.reg) {
		log_set_level(LOG_LVL_ERROR); /* the table says it; no poller log lines */
		fprintf(out, "%s:%d, %zu profiles from %s\n", pr.host, pr.port, n, pr.dir);
		for (size_t i = 0; i < n; i++)
			probe_profile_line(&pr, &env, all[i], out);
		rc = probe_stanza(&pr, &env, out, errout);
	}
	snmp_profiles_put_all(all, n);
	metric_reg_free(env.reg);
	loop_free(env.loop);
	return rc < 0 ? 1 : 0;
}
