/* dcmond: wires the parts together.  Data flows one way (pipeline.h):
 * pollers -> metric registry -> facility quality -> rule engine -> change bus ->
 * subscribers (notifier, walls, the alert log line); the archive is a sink of its own.
 */
#include "daemon.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "dcmon/accounts.h"
#include "dcmon/alert.h"
#include "dcmon/alerting.h"
#include "dcmon/api.h"
#include "dcmon/archive.h"
#include "dcmon/change.h"
#include "dcmon/config.h"
#include "dcmon/alarm_report.h"
#include "dcmon/event.h"
#include "dcmon/event_trap.h"
#include "dcmon/avail_report.h"
#include "dcmon/avail_store.h"
#include "dcmon/facility.h"
#include "dcmon/loop.h"
#include "dcmon/modbus.h"
#include "dcmon/metric.h"
#include "dcmon/notify.h"
#include "dcmon/part.h"
#include "dcmon/poller.h"
#include "dcmon/snmp.h"
#include "dcmon/tenants.h"
#include "dcmon/workq.h"
#include "part_run.h"
#include "pipeline.h"
#include "profile_rules.h"
#include "dcmon/scheduler.h"
#include "chain_settle.h"
#include "sd_service.h"
#include "dcmon/daemon_priv.h"

#define WORKER_THREADS 4        /* blocking library calls (statvfs, modbus RTU, smtp) */
#define TICK_MS 1000            /* staleness, no-data rules, silences: checked every second */
#define UNMATCHED_CHECK_POLLS 3 /* intervals after start before unmatched rules are reported */

struct daemon {
	const char *cfg_path;
	struct cfg *cfg;
	struct profile_rules prules; /* default rules of the profiles cfg uses */
	struct loop *loop;
	struct metric_reg *reg;
	struct workq *wq;
	struct archive *arc;
	struct change_bus *bus;    /* the pipeline's changes, to their subscribers */
	struct pipeline *pipeline; /* each report: facility, engine, bus */
	struct sched *sched;
	struct chain_settle *settle; /* the engine's settle inputs, from the chains */
	struct api_unix *api;
	struct tenant_layer *tenants; /* tenants.db, layered over the file; NULL without one */
	struct daemon_priv priv;   /* the user to become after start */
	struct poller_env env;
	struct api_env api_env;
	void *parts[DCMON_PARTS_MAX];              /* each part's state: api_env.parts */
	struct part_run run;                       /* their lifecycle, in order */
	struct part_env part_env;                  /* what the parts' lifecycle gets */
	int sigfd;
	struct sd_service *sd; /* systemd's notifications and watchdog pings */
	struct loop_timer *tick_timer;
	struct loop_timer *journal_timer; /* the writer is asked to journal, once polls ended */
	struct loop_timer *unmatched_timer;
	int exit_code;
};

static const struct dev_status *status_of(void *arg, const char *id)
{
	struct daemon *d = arg;
	return d->sched ? sched_status(d->sched, id) : NULL; /* none before it exists */
}

/* The checks of a loaded configuration beyond the file: the profiles it uses (a bad
 * one rejects it, every error reported at once). */
static int profiles_check(const struct cfg *cfg, struct cfg_diags *d)
{
	bool bad = snmp_profiles_check(cfg, d) < 0;
	bad |= modbus_profiles_check(cfg, d) < 0;
	return bad ? -EINVAL : 0;
}

/* The post-load checks of a configuration with the tenant layer: the profiles, and no
 * tenant's rule replacing a default rule unless the NOC allows it.  The default rules'
 * own errors are load_config's to report. */
static int layer_post_check(const struct cfg *cfg, struct cfg_diags *d)
{
	struct profile_rules pr;
	struct cfg_diags scratch;
	cfg_diags_init(&scratch);
	size_t before = d->nerrors;
	profiles_check(cfg, d);
	if (profile_rules_load(cfg, &pr, &scratch) == 0)
		tenant_layer_defaults_check(cfg, pr.srcs, pr.n, d);
	profile_rules_free(&pr);
	cfg_diags_free(&scratch);
	return d->nerrors > before ? -EINVAL : 0;
}

static void diags_report(const struct cfg_diags *diags, bool to_log)
{
	if (!to_log) {
		cfg_diags_print(diags, stderr);
		return;
	}
	for (size_t i = 0; i < diags->n; i++) {
		const struct cfg_diag *g = &diags->v[i];
		log_msg(g->warning ? LOG_LVL_WARN : LOG_LVL_ERROR, "config", NULL, "%s:%d:%d: %s",
			g->pos.file, g->pos.line, g->pos.col, g->msg);
	}
}

/* Loads `path` (with the tenant layer over it when there is one) and the profiles'
 * default rules (into *pr); prints every diagnostic (to stderr, or to the log when
 * `to_log`).  NULL if anything is wrong. */
static struct cfg *load_config(const char *path, struct tenant_layer *layer, bool to_log,
			       struct profile_rules *pr)
{
	struct cfg_diags diags;
	cfg_diags_init(&diags);
	struct cfg *cfg = layer ? tenant_layer_load(layer, &diags) : cfg_load(path, &diags);
	*pr = (struct profile_rules){0};
	if (cfg && ((!layer && profiles_check(cfg, &diags) < 0) ||
		    profile_rules_load(cfg, pr, &diags) < 0)) {
		profile_rules_free(pr);
		cfg_free(cfg);
		cfg = NULL;
	}
	diags_report(&diags, to_log);
	cfg_diags_free(&diags);
	return cfg;
}

int daemon_check_config(const char *path)
{
	struct profile_rules pr;
	struct cfg *cfg = load_config(path, NULL, false, &pr);
	if (!cfg)
		return 1;
	size_t nprofile_rules = 0;
	for (size_t i = 0; i < pr.n; i++)
		nprofile_rules += pr.srcs[i].nrules;
	printf("%s: ok (%zu devices, %zu tenants, %zu rules, %zu profile rules, %zu routes)\n",
	       path, cfg->ndevices, cfg->ntenants, cfg->nrules, nprofile_rules, cfg->nroutes);
	profile_rules_free(&pr);
	cfg_free(cfg);
	return 0;
}

/* ---- the parts' lifecycle (dcmon/part.h, part_run.h) ------------------------------
 * new once the kernel's services, the pollers' environment and api_env (which the web
 * server serves) are made, and before the restored alerts are published (the reports'
 * recorder opens their spans again); a reload's prepare and commit first, its reload
 * hooks at their phase (reload_swap); each second every part's report, then every
 * part's tick; free once the loop has stopped and the work queue has drained (no graph
 * renders for the web server any more): the service parts, the pipeline, then the
 * pipeline's stages. */

/* The state of part, or NULL when it does not run. */
static void *part_state(const struct daemon *d, const struct dcmon_part *part)
{
	return d->parts[dcmon_part_index(part)];
}

static int add_devices(struct daemon *d, const struct cfg *old)
{
	int failed = 0;
	for (size_t i = 0; i < d->cfg->ndevices; i++) {
		const struct cfg_device *dev = &d->cfg->devices[i];
		const struct cfg_device *prev = old ? cfg_device_find(old, dev->id) : NULL;
		char err[256] = "";
		if (sched_add(d->sched, dev, NULL, err, sizeof(err)) < 0) {
			log_msg(LOG_LVL_ERROR, "sched", dev->id, "cannot poll device: %s", err);
			failed++;
		} else if (!prev) {
			log_info("sched", dev->id, "polling every %llds (%s)",
				 (long long)(dev->interval_ms / 1000), dev_kind_name(dev->kind));
		}
	}
	return failed;
}

/* The API's view of cfg's accounts section: the local users' roles (the store's
 * policy is the accounts part's reload). */
static void api_env_accounts(struct daemon *d, const struct cfg *cfg)
{
	const struct cfg_accounts *ac = accounts_cfg_of(cfg);
	d->api_env.cfg = cfg;
	d->api_env.local_users = ac ? ac->local_users : NULL;
	d->api_env.nlocal_users = ac ? ac->nlocal_users : 0;
}

/* What each part's routes act on (api_env.parts, dcmon/part.h): the parts' lifecycle
 * makes their states there, but the tenant layer's, which the daemon opens. */
static void api_env_parts(struct daemon *d)
{
	d->parts[dcmon_part_index(&tenants_part)] = d->tenants;
	d->api_env.parts = d->parts;
}

/* The account store answers for the HTTP transport's credentials (api_env.auth is the
 * daemon: the store is the accounts part's state, made after the API environment). */
static int token_actor_of(void *auth, const char *token, const char *source,
			  struct authz_actor *out)
{
	const struct accounts_part_state *a = part_state(auth, &accounts_part);
	return a && a->store ? accounts_token_actor(a->store, token, source, out) : -1;
}

static int session_actor_of(void *auth, const char *sid, const char *csrf, const char *source,
			    int64_t now_ms, struct authz_actor *out)
{
	const struct accounts_part_state *a = part_state(auth, &accounts_part);
	return a && a->store ? accounts_session_actor(a->store, sid, csrf, source, now_ms, out)
			     : -1;
}

static bool any_account_of(void *auth)
{
	const struct accounts_part_state *a = part_state(auth, &accounts_part);
	return a && a->store && accounts_any(a->store);
}

/* Puts next (and its profiles' rules) in force; unchanged devices keep their state.
 * 0, or -1 with next freed and the running configuration kept. */
static int reload_swap(struct daemon *d, struct cfg *next, struct profile_rules next_rules)
{
	struct cfg *old = d->cfg;
	struct part_env next_env = d->part_env;
	next_env.cfg = next;
	next_env.profile_rules = next_rules.srcs;
	next_env.nprofile_rules = next_rules.n;
	/* Status carried over for unchanged devices; metrics of changed ones start anew. */
	struct dev_status *keep = calloc(next->ndevices ? next->ndevices : 1, sizeof(*keep));
	bool *kept = calloc(next->ndevices ? next->ndevices : 1, sizeof(*kept));
	for (size_t i = 0; i < next->ndevices; i++) {
		const struct cfg_device *prev = cfg_device_find(old, next->devices[i].id);
		const struct dev_status *st = sched_status(d->sched, next->devices[i].id);
		if (prev && st && cfg_device_same(prev, &next->devices[i]) && keep && kept) {
			keep[i] = *st;
			kept[i] = true;
		}
	}
	if (part_run_prepare(&d->run, &next_env) < 0) {
		free(keep);
		free(kept);
		profile_rules_free(&next_rules);
		cfg_free(next);
		return -1;
	}
	/* the new rules first: the metrics of changed devices are dropped under them */
	part_run_commit(&d->run, &next_env);
	profile_rules_free(&d->prules);
	d->prules = next_rules;
	for (size_t i = 0; i < old->ndevices; i++) {
		const char *id = old->devices[i].id;
		const struct cfg_device *nd = cfg_device_find(next, id);
		sched_remove(d->sched, id);
		if (!nd || !cfg_device_same(&old->devices[i], nd)) {
			metric_reg_drop_device(d->reg, id);
			log_info("daemon", id, "%s", nd ? "changed: state reset" : "removed");
		}
	}
	d->part_env = next_env;
	/* before the scheduler and the settle inputs read the new chains and routes */
	part_run_reload(&d->run, &d->part_env, old, PART_RELOAD_EARLY);
	d->cfg = next;
	d->env.cfg = next;
	api_env_accounts(d, next);
	metric_reg_set_series_max(d->reg, (size_t)next->daemon.max_series_per_device);
	for (size_t i = 0; i < next->ndevices; i++) {
		const struct cfg_device *dev = &next->devices[i];
		char err[256] = "";
		if (sched_add(d->sched, dev, kept && kept[i] ? &keep[i] : NULL, err, sizeof(err)) < 0)
			log_msg(LOG_LVL_ERROR, "sched", dev->id, "cannot poll device: %s", err);
		else if (!cfg_device_find(old, dev->id))
			log_info("daemon", dev->id, "added");
	}
	chain_settle_all(d->settle, next); /* the new chains and schedule */
	api_unix_set_env(d->api, &d->api_env);
	/* the others, before old is freed: their sections point into it */
	part_run_reload(&d->run, &d->part_env, old, PART_RELOAD_LAST);
	free(keep);
	free(kept);
	cfg_free(old);
	change_publish(d->bus, &(struct change){.kind = CHANGE_CONFIG, .ts_ms = clock_wall_ms()});
	log_info("daemon", NULL, "reloaded: %zu devices", next->ndevices);
	return 0;
}

static void reload(struct daemon *d)
{
	log_info("daemon", NULL, "reloading %s", d->cfg_path);
	struct profile_rules next_rules;
	struct cfg *next = load_config(d->cfg_path, d->tenants, true, &next_rules);
	if (!next) {
		log_warnx("daemon", NULL, "reload rejected: configuration has errors; "
					  "the running configuration stays in force");
		return;
	}
	reload_swap(d, next, next_rules);
}

/* The tenant layer's swap: a change of a tenant's items, checked by the layer, in force
 * like a reload. */
static int tenant_swap_in(void *arg, struct cfg *next)
{
	struct daemon *d = arg;
	struct profile_rules pr = {0};
	struct cfg_diags diags;
	cfg_diags_init(&diags);
	int rc = profile_rules_load(next, &pr, &diags);
	diags_report(&diags, true);
	cfg_diags_free(&diags);
	if (rc < 0) {
		profile_rules_free(&pr);
		cfg_free(next);
		return -1;
	}
	log_info("daemon", NULL, "tenant layer changed: applying");
	return reload_swap(d, next, pr);
}

/* Opens tenants.db in the state directory and loads the configuration again with the
 * layer over the file (the first load told where the state directory is). */
static int open_tenant_layer(struct daemon *d)
{
	char err[512];
	if (!d->cfg->daemon.state_dir)
		return 0;
	if (!(d->tenants = tenant_layer_open(d->cfg->daemon.state_dir, err, sizeof(err)))) {
		log_msg(LOG_LVL_ERROR, "tenants", NULL, "%s", err);
		return -1;
	}
	tenant_layer_bind(d->tenants, d->cfg_path, layer_post_check, tenant_swap_in, d, NULL);
	struct profile_rules pr;
	struct cfg *cfg = load_config(d->cfg_path, d->tenants, true, &pr);
	if (!cfg)
		return -1;
	profile_rules_free(&d->prules);
	cfg_free(d->cfg);
	d->cfg = cfg;
	d->prules = pr;
	return 0;
}

/* ---- signals and timers ----------------------------------------------------------- */

static void on_signal(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			sd_service_reloading(d->sd, true, "reloading");
			reload(d);
			sd_service_reloading(d->sd, false, "running");
		} else {
			log_info("daemon", NULL, "signal %d: stopping", (int)si.ssi_signo);
			sd_service_stopping(d->sd);
			loop_stop(loop);
		}
	}
}

static void handled_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

/* Blocks the signals dcmond handles, before any thread starts, so that every thread
 * inherits the mask and they arrive only through the signalfd. */
static int block_signals(void)
{
	sigset_t set;
	handled_signals(&set);
	signal(SIGPIPE, SIG_IGN);
	return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? 0 : -1;
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;
	handled_signals(&set);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	return loop_io_add(d->loop, d->sigfd, LOOP_READ, on_signal, d);
}

static void on_tick(struct loop *loop, void *arg)
{
	struct daemon *d = arg;
	int64_t now = clock_wall_ms();
	metric_reg_mark_stale(d->reg, now);
	part_run_tick(&d->run, &d->part_env, now);
	d->tick_timer = loop_timer_at(loop, loop_next_step_ms(loop, TICK_MS), on_tick, d);
}

/* The wall clock stepped (NTP, an operator, a resumed VM): said once, then every part
 * that counts durations on it moves them, so they keep counting elapsed time; the
 * archive keeps its times increasing (dcmon/archive.h). */
static void on_clock_step(struct loop *loop, int64_t step_ms, void *arg)
{
	struct daemon *d = arg;
	(void)loop;
	int64_t size = step_ms < 0 ? -step_ms : step_ms;
	log_warnx("clock", NULL, "wall clock stepped %s by %lld.%03llds",
		  step_ms < 0 ? "back" : "forward", (long long)(size / 1000),
		  (long long)(size % 1000));
	metric_reg_clock_stepped(d->reg, step_ms);
	archive_clock_stepped(d->arc, step_ms);
	part_run_clock_stepped(&d->run, step_ms);
}

static void on_unmatched_check(struct loop *loop, void *arg)
{
	struct daemon *d = arg;
	const struct alerting *al = part_state(d, &alerting_part);
	d->unmatched_timer = NULL;
	alert_engine_warn_unmatched(al->engine);
}

/* A trap from a known device, or a watched process exiting: poll it now (its regular
 * schedule stays). */
static void on_repoll(void *arg, const char *id)
{
	struct daemon *d = arg;
	int rc = sched_poll_now(d->sched, id);
	if (rc < 0)
		log_debug("sched", id, "re-poll: %s", strerror(-rc));
}

/* The notifier holds the first alert of a poll until that poll has been evaluated. */
static bool polling_of(void *arg, const char *id)
{
	struct daemon *d = arg;
	return d->sched && sched_polling(d->sched, id);
}

/* A poll starts: the chains it is on wait for it now. */
static void on_poll_start(void *arg, const char *id)
{
	struct daemon *d = arg;
	chain_settle_polled(d->settle, id);
}

/* The polls that ended in one wake-up of the loop (a grid step's) are journaled in one
 * wake-up of the archive's writer: this runs at the loop's next turn, without a sleep. */
static void on_journal_due(struct loop *loop, void *arg)
{
	struct daemon *d = arg;
	(void)loop;
	d->journal_timer = NULL;
	archive_poll_done(d->arc);
}

static void on_poll_done(void *arg, const char *id)
{
	struct daemon *d = arg;
	const struct alerting *al = part_state(d, &alerting_part);
	int64_t now = clock_wall_ms();
	if (!d->journal_timer)
		d->journal_timer = loop_timer_add(d->loop, 0, on_journal_due, d);
	facility_device_polled(part_state(d, &facility_part), id, now);
	chain_settle_polled(d->settle, id);
	alert_engine_settle_check(al->engine, now);
	notifier_poll_done(al->notify, id, now);
	change_publish(d->bus, &(struct change){.kind = CHANGE_DEVICE, .ts_ms = now, .device = id,
						 .status = sched_status(d->sched, id)});
}

/* Alert notifications are logged, one line each (the e-mail notifier and the walls
 * subscribe to the bus themselves). */
static void log_alert(void *arg, const struct change *c)
{
	const struct alert_event *ev = alert_event_of(c);
	(void)arg;
	if (!alert_event_notifies(ev->type))
		return; /* transitions are logged by the engine as they happen */
	log_msg(ev->type == ALERT_EV_RESOLVED ? LOG_LVL_INFO : LOG_LVL_WARN, "alert", ev->device,
		"%s rule=%s metric=%s%s%s severity=%s value=%g", alert_event_type_name(ev->type),
		ev->rule, ev->metric, ev->inst ? "@" : "", ev->inst ? ev->inst : "",
		cfg_severity_name(ev->severity), ev->value);
}

/* The longest poll interval of the config, for start-up timing. */
static int64_t longest_interval(const struct cfg *cfg)
{
	int64_t iv = cfg->daemon.interval_ms;
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (cfg->devices[i].interval_ms > iv)
			iv = cfg->devices[i].interval_ms;
	return iv;
}

/* ---- start and stop ---------------------------------------------------------------- */

/* An accepted SNMP notification becomes an event (the re-poll it triggers is the
 * receiver's own business). */
static void on_trap_note(void *arg, const struct snmp_trap_note *note)
{
	struct daemon *d = arg;
	const struct events_part_state *ev = part_state(d, &events_part);
	if (ev)
		event_trap_take(ev, d->cfg, note);
}

/* The suppression root of a device's alerts, for the outage log.  The restored alerts
 * are published before the scheduler exists and before the engine reads the facility's
 * suppression (pipeline_new): no root is known then, for neither. */
static const char *avail_root_of(void *arg, const char *device, int64_t now_ms)
{
	struct daemon *d = arg;
	return d->sched ? facility_suppressed_by(part_state(d, &facility_part), device, now_ms)
			: NULL;
}

/* The parts' states, made, and joined where one part needs another's: the engine's
 * audit log to the tenant layer's changes, to the accounts' and to the reports', the
 * trap receiver's notifications to the event store, the facility's suppression roots
 * to the outage log, the notifier to the reports' and the events' mail. */
static int start_lifecycle_parts(struct daemon *d)
{
	d->part_env = (struct part_env){.loop = d->loop, .reg = d->reg, .wq = d->wq, .bus = d->bus,
					.arc = d->arc, .cfg = d->cfg, .pollers = &d->env,
					.api = &d->api_env, .profile_rules = d->prules.srcs,
					.nprofile_rules = d->prules.n};
	if (part_run_new(&d->run, &d->part_env) < 0)
		return -1;
	const struct alerting *al = part_state(d, &alerting_part);
	struct snmp_trapd *trapd = part_state(d, &pollers_part);
	struct accounts_part_state *accounts = part_state(d, &accounts_part);
	struct reports_part_state *reports = part_state(d, &reports_part);
	struct events_part_state *events = part_state(d, &events_part);
	tenant_layer_bind(d->tenants, d->cfg_path, layer_post_check, tenant_swap_in, d, al->engine);
	if (trapd && events && events->store)
		snmp_trapd_set_listener(trapd, on_trap_note, d);
	if (accounts)
		accounts->audit = al->engine;
	if (reports) {
		reports->audit = al->engine;
		reports->notify = al->notify;
		avail_recorder_set_root(reports->recorder, avail_root_of, d);
	}
	if (events) {
		events->notify = al->notify; /* the alarm reports go through it */
		events->audit = al->engine;
	}
	return 0;
}

static int start_parts(struct daemon *d)
{
	char err[512] = "";
	if (block_signals() < 0)
		return -1;
	/* before any file or thread: what the files are, and whose (daemon_priv.h) */
	if (daemon_priv_plan(&d->cfg->daemon, &d->priv) < 0 ||
	    daemon_files_prepare(&d->cfg->daemon, &d->priv) < 0 || daemon_priv_adopt(&d->priv) < 0 ||
	    open_tenant_layer(d) < 0)
		return -1;
	struct archive_opts ao = {.data_dir = d->cfg->daemon.data_dir,
				  .rrdcached = d->cfg->daemon.rrdcached,
				  .flush_ms = d->cfg->daemon.archive_flush_ms,
				  .queue_max = (size_t)d->cfg->daemon.archive_queue_max};
	d->arc = archive_new(&ao, err, sizeof(err));
	if (!d->arc) {
		log_msg(LOG_LVL_ERROR, "archive", NULL, "%s", err);
		return -1;
	}
	if (!(d->loop = loop_new()) || !(d->reg = metric_reg_new()) ||
	    !(d->wq = workq_new(d->loop, WORKER_THREADS)) || !(d->bus = change_bus_new()) ||
	    change_subscribe(d->bus, CHANGE_MASK(CHANGE_ALERT), log_alert, d) < 0) {
		log_msg(LOG_LVL_ERROR, "daemon", NULL, "out of memory at start-up");
		return -1;
	}
	metric_reg_set_series_max(d->reg, (size_t)d->cfg->daemon.max_series_per_device);
	int slot = metric_reg_add_sink(d->reg, archive_sink(), d->arc);
	if (slot < 0)
		return -1;
	archive_set_slot(d->arc, slot);
	if (tenant_layer_watch_probes(d->tenants, d->bus, d->loop) < 0)
		return -1;
	d->env = (struct poller_env){.loop = d->loop, .reg = d->reg, .wq = d->wq, .cfg = d->cfg,
				     .repoll = on_repoll, .repoll_arg = d};
	d->api_env = (struct api_env){.reg = d->reg, .dev_status = status_of,
				      .arg = d, .started_ms = clock_wall_ms(),
				      .version = DCMON_VERSION, .auth = d, .wq = d->wq,
				      .token_actor = token_actor_of,
				      .session_actor = session_actor_of,
				      .any_account = any_account_of};
	api_env_parts(d);
	api_env_accounts(d, d->cfg);
	/* the parts before the restored alerts are published: the reports' recorder opens
	 * the spans of those still firing again */
	if (start_lifecycle_parts(d) < 0)
		return -1;
	const struct alerting *al = part_state(d, &alerting_part);
	struct facility *facility = part_state(d, &facility_part);
	alert_engine_publish_all(al->engine, clock_wall_ms()); /* the restored ones */
	d->pipeline = pipeline_new(&(struct pipeline_env){.reg = d->reg, .facility = facility,
			.alerts = al->engine, .bus = d->bus});
	if (!d->pipeline)
		return -1;
	if (!(d->sched = sched_new(&d->env, dcmon_pollers())))
		return -1;
	sched_set_done_hook(d->sched, on_poll_done, d);
	if (!(d->settle = chain_settle_new(facility, d->sched, al->engine, d->bus)))
		return -1;
	sched_set_start_hook(d->sched, on_poll_start, d);
	notifier_set_polling_fn(al->notify, polling_of, d);
	d->api = api_unix_new(d->loop, d->cfg->daemon.socket_path, d->cfg->daemon.socket_group,
			      &d->api_env, err, sizeof(err));
	if (!d->api) {
		log_msg(LOG_LVL_ERROR, "api", NULL, "%s", err);
		return -1;
	}
	if (setup_signals(d) < 0) {
		log_msg(LOG_LVL_ERROR, "daemon", NULL, "cannot set up signal handling");
		return -1;
	}
	/* every socket that needed root is open: root goes */
	if (daemon_priv_drop(&d->priv) < 0)
		return -1;
	daemon_priv_log_access(d->cfg);
	if (add_devices(d, NULL) > 0)
		return -1;
	chain_settle_all(d->settle, d->cfg);
	d->tick_timer = loop_timer_at(d->loop, loop_next_step_ms(d->loop, TICK_MS), on_tick, d);
	loop_set_clock_step_fn(d->loop, on_clock_step, d);
	d->unmatched_timer = loop_timer_add(d->loop, UNMATCHED_CHECK_POLLS * longest_interval(d->cfg),
					    on_unmatched_check, d);
	return 0;
}

static void stop_parts(struct daemon *d)
{
	sd_service_free(d->sd);
	sched_free(d->sched); /* cancels polls in flight */
	chain_settle_free(d->settle);
	api_unix_free(d->api);
	if (d->loop) {
		loop_timer_cancel(d->loop, d->tick_timer);
		loop_timer_cancel(d->loop, d->journal_timer);
		d->journal_timer = NULL;
		loop_timer_cancel(d->loop, d->unmatched_timer);
	}
	workq_free(d->wq);
	/* after the workers: no graph is rendering, no SMTP session runs any more */
	part_run_free(&d->run, PART_STAGE_SERVICE);
	pipeline_free(d->pipeline); /* no reports come any more; the engine lets go of the
				     * facility's suppression before the facility goes */
	part_run_free(&d->run, PART_STAGE_PIPELINE); /* the engine before the registry it indexes */
	archive_free(d->arc); /* writes every queued update */
	avail_reports_drop(); /* after the workers and the transports, like the accounts' */
	tenant_layer_free(d->tenants);
	metric_reg_free(d->reg);
	change_bus_free(d->bus);
	if (d->sigfd > 0)
		close(d->sigfd);
	loop_free(d->loop);
	profile_rules_free(&d->prules);
	cfg_free(d->cfg);
}

int daemon_main(const struct daemon_opts *opts)
{
	struct daemon d = {.cfg_path = opts->config_path, .sigfd = -1};
	if (opts->log_level_set)
		log_set_level(opts->log_level);
	d.cfg = load_config(d.cfg_path, NULL, false, &d.prules);
	if (!d.cfg)
		return 1;
	if (!opts->log_level_set)
		log_set_level(d.cfg->daemon.log_level);
	daemon_log_nofile(); /* one descriptor per gateway, check, client: thousands */
	char err[256];
	if (part_run_init(&d.run, dcmon_parts, d.parts, err, sizeof(err)) < 0)
		fatalx("daemon", "%s", err); /* a wiring mistake */
	int rc = 1;
	if (start_parts(&d) == 0) {
		log_info("daemon", NULL, "dcmond %s started: %zu devices, api %s, data %s",
			 DCMON_VERSION, d.cfg->ndevices, d.cfg->daemon.socket_path,
			 d.cfg->daemon.data_dir);
		d.sd = sd_service_ready(d.loop, "running");
		rc = loop_run(d.loop) == 0 ? 0 : 1;
	}
	stop_parts(&d);
	if (rc == 0)
		log_info("daemon", NULL, "stopped");
	return rc;
}
