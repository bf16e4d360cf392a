/* Driving SNMP poller instances in tests: a real loop, registry and poll jobs. */
#include "snmp_poll.h"

#include "testing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_int.h"

void snmp_fx_init(struct snmp_fx *f)
{
	memset(f, 0, sizeof(*f));
	f->loop = loop_new();
	f->reg = metric_reg_new();
	f->cfg.daemon.profiles_dir = DCMON_SOURCE_DIR "/etc/profiles";
	f->env = (struct poller_env){.loop = f->loop, .reg = f->reg, .cfg = &f->cfg};
}

void snmp_fx_fini(struct snmp_fx *f)
{
	metric_reg_free(f->reg);
	loop_free(f->loop);
}

int snmp_peers_setup(void **state)
{
	struct snmp_peers_fx *f = calloc(1, sizeof(*f));

	*state = f; /* cmocka runs the group teardown even when a setup fails */
	if (!f)
		return -1;
	snmp_fx_init(&f->x);
	return peer_blackhole_start(&f->hole) < 0 ? -1 : 0;
}

int snmp_peers_teardown(void **state)
{
	struct snmp_peers_fx *f = *state;

	if (!f)
		return 0;
	peer_stop(&f->agent);
	peer_stop(&f->hole);
	snmp_fx_fini(&f->x);
	free(f);
	return 0;
}

void snmp_dev_init(struct cfg_device *dev, struct cfg_snmp *s, const char *id,
		   const char *community, int port, const char *profile)
{
	memset(dev, 0, sizeof(*dev));
	snmp_cfg_defaults(s);
	s->community = (char *)community;
	s->port = port;
	/* generous: snmpsim is a Python agent and CI machines are shared; a dead agent
	 * still ends within the device timeout */
	s->timeout_ms = 1000;
	s->retries = 1;
	dev->id = (char *)id;
	dev->host = "127.0.0.1";
	dev->profile = (char *)profile;
	dev->interval_ms = 10000;
	dev->timeout_ms = 4000;
	*cfg_device_slot(dev, "snmp") = s;
}

void snmp_dev_init_v3(struct cfg_device *dev, struct cfg_snmp *s, const char *id, int port,
		      const char *auth_pass)
{
	snmp_dev_init(dev, s, id, NULL, port, "ucd-snmp");
	s->version = SNMPCFG_V3;
	s->user = (char *)TEST_V3_USER;
	s->auth_proto = SNMPCFG_AUTH_SHA256;
	s->auth_pass = (char *)auth_pass;
	s->priv_proto = SNMPCFG_PRIV_AES;
	s->priv_pass = (char *)TEST_V3_PRIV;
	s->timeout_ms = 500;
}

void *snmp_fx_create(struct snmp_fx *f, struct cfg_device *dev)
{
	char err[256] = "";
	void *inst = snmp_poller.create(&f->env, dev, err, sizeof(err));

	if (!inst)
		fprintf(stderr, "create: %s\n", err);
	assert_non_null(inst);
	return inst;
}

/* Prints the failed points (for the test log when an outcome is not OK); the first 20
 * only, tables of thousands of rows fail too. */
static void dump_error(void *arg, struct metric *m)
{
	int *left = arg;

	if (m->quality != QUALITY_ERROR || *left == 0)
		return;
	if (--*left == 0)
		fprintf(stderr, "  ...\n");
	else
		fprintf(stderr, "  %s %s@%s: %s\n", m->device, m->name,
			metric_inst(m) ? metric_inst(m) : "", m->reason);
}

static void job_done(struct poll_job *job, enum poll_outcome o, const char *reason)
{
	struct snmp_run *r = (struct snmp_run *)job;

	r->outcome = o;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	r->done++;
	if (r->stop_loop)
		loop_stop(r->loop);
}

/* The 15 s bound of a test's loop run; arg points to the handle, cleared here. */
static void give_up(struct loop *loop, void *arg)
{
	*(struct loop_timer **)arg = NULL;
	loop_stop(loop);
}

void snmp_fx_start(struct snmp_fx *f, void *inst, struct snmp_run *r, int64_t deadline_ms,
		   bool stop_loop)
{
	memset(r, 0, sizeof(*r));
	r->loop = f->loop;
	r->stop_loop = stop_loop;
	r->job.done = job_done;
	r->job.ts_ms = clock_wall_ms();
	r->job.deadline_ms = clock_mono_ms() + deadline_ms;
	snmp_poller.start(inst, &r->job);
}

void snmp_fx_poll(struct snmp_fx *f, void *inst, struct snmp_run *r, int64_t deadline_ms)
{
	struct loop_timer *t = NULL;

	/* The loop's clock is the one of its last run: a slow setup in between (a
	 * loaded machine, sanitizers) would bring the give-up before the deadline. */
	loop_update_time(f->loop);
	t = loop_timer_add(f->loop, 15000, give_up, &t);
	snmp_fx_start(f, inst, r, deadline_ms, true);
	if (!r->done)
		loop_run(f->loop);
	loop_timer_cancel(f->loop, t);
	assert_int_equal(r->done, 1);
	if (r->outcome != POLL_OK) {
		fprintf(stderr, "poll: outcome %d: %s\n", (int)r->outcome, r->reason);
		int left = 20;
		metric_reg_foreach(f->reg, dump_error, &left);
	}
}

struct until {
	bool (*cond)(void *arg);
	void *arg;
	struct loop_timer *t;
};

static void check_until(struct loop *loop, void *arg)
{
	struct until *u = arg;

	u->t = NULL;
	if (u->cond(u->arg)) {
		loop_stop(loop);
		return;
	}
	u->t = loop_timer_add(loop, 5, check_until, u);
}

void snmp_fx_run_until(struct snmp_fx *f, bool (*cond)(void *arg), void *arg)
{
	struct until u = {cond, arg, NULL};
	struct loop_timer *t = NULL;

	loop_update_time(f->loop);
	t = loop_timer_add(f->loop, 15000, give_up, &t);
	u.t = loop_timer_add(f->loop, 0, check_until, &u);
	loop_run(f->loop);
	loop_timer_cancel(f->loop, u.t);
	loop_timer_cancel(f->loop, t);
}

double snmp_fx_val(struct snmp_fx *f, const char *dev, const char *name, const char *inst)
{
	struct metric *m = metric_reg_find(f->reg, dev, name, inst);

	if (!m) {
		fprintf(stderr, "missing metric %s %s\n", name, inst ? inst : "");
		return NAN;
	}
	if (m->quality != QUALITY_OK)
		fprintf(stderr, "%s@%s: %s %s\n", name, inst ? inst : "",
			metric_quality_name(m->quality), m->reason);
	return m->value;
}

struct beside {
	struct snmp_run *live, *dead;
	bool live_first;
};

static bool both_done(void *arg)
{
	struct beside *b = arg;

	if (b->live->done && !b->dead->done)
		b->live_first = true;
	return b->live->done && b->dead->done;
}

bool snmp_fx_poll_beside(struct snmp_fx *f, void *dead, struct snmp_run *rd, void *live,
			 struct snmp_run *rl, int64_t deadline_ms)
{
	struct beside b = {rl, rd, false};

	snmp_fx_start(f, dead, rd, deadline_ms, false);
	snmp_fx_start(f, live, rl, deadline_ms, false);
	snmp_fx_run_until(f, both_done, &b);
	assert_int_equal(rl->done, 1);
	assert_int_equal(rd->done, 1);
	return b.live_first;
}
