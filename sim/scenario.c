/* Scenarios: etc/scenarios/<name>.yaml, timed steps of `set` commands and
 * acceleration changes, read through cfgtree (errors name file:line:col) and checked
 * against the simulated devices before anything runs.
 *
 *   name: utility-outage
 *   acceleration: 1
 *   steps:
 *     - {at: 10s, set: {utility.available: 0}, note: utility lost}
 *     - {at: 45s, acceleration: 120, note: one hour on the generators, time-lapse}
 *
 * `at` is simulated time since the scenario started.
 */
#include "sim.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STEP(f) offsetof(struct sim_step, f)
#define SCEN(f) offsetof(struct sim_scenario, f)

static int set_decode(const struct cfgnode *node, void *field, struct cfg_diags *d, void *ctx)
{
	struct sim_step *st = (struct sim_step *)((char *)field - STEP(targets));
	struct sim *s = ctx;
	if (node->type != CFGNODE_MAP) {
		cfg_error(d, &node->pos, "set: expected a map of DEVICE.POINT: VALUE");
		return -EINVAL;
	}
	st->targets = calloc(node->n + 1, sizeof(char *));
	st->values = calloc(node->n + 1, sizeof(char *));
	if (!st->targets || !st->values)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < node->n; i++) {
		const struct cfgnode *k = node->pairs[i].key, *v = node->pairs[i].value;
		if (v->type != CFGNODE_SCALAR) {
			cfg_error(d, &v->pos, "set: %s: expected a value", k->scalar);
			rc = -EINVAL;
			continue;
		}
		char err[1024];
		if (sim_set(s, k->scalar, v->scalar, false, err, sizeof(err)) < 0) {
			cfg_error(d, &k->pos, "%s", err);
			rc = -EINVAL;
			continue;
		}
		st->targets[st->nsets] = strdup(k->scalar);
		st->values[st->nsets++] = strdup(v->scalar);
	}
	return rc;
}

static void step_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct sim_step *st = elem;
	st->accel = NAN;
	st->pos = node->pos;
}

static const struct cfg_key step_keys[] = {
    {.name = "at", .type = CFGK_DURATION, .offset = STEP(at_ms), .required = true, .max = 7 * 86400000.0},
    {.name = "acceleration", .type = CFGK_DOUBLE, .offset = STEP(accel), .min = 0.01, .max = 100000},
    {.name = "set", .type = CFGK_CUSTOM, .offset = STEP(targets), .custom = set_decode},
    {.name = "note", .type = CFGK_STRING, .offset = STEP(note)},
    {.name = NULL},
};

static const struct cfg_key scen_keys[] = {
    {.name = "name", .type = CFGK_STRING, .offset = SCEN(name), .required = true},
    {.name = "description", .type = CFGK_STRING, .offset = SCEN(description)},
    {.name = "acceleration", .type = CFGK_DOUBLE, .offset = SCEN(accel), .min = 0.01, .max = 100000},
    {.name = "steps", .type = CFGK_SEQ, .offset = SCEN(steps), .count_offset = SCEN(nsteps),
     .sub = step_keys, .elem_size = sizeof(struct sim_step), .what = "step", .init = step_init,
     .required = true},
    {.name = NULL},
};

void sim_scenario_free(struct sim_scenario *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->nsteps; i++) {
		struct sim_step *st = &sc->steps[i];
		for (size_t j = 0; j < st->nsets; j++) {
			free(st->targets[j]);
			free(st->values[j]);
		}
		free(st->targets);
		free(st->values);
		free(st->note);
	}
	free(sc->steps);
	free(sc->name);
	free(sc->description);
	cfg_diags_free(&sc->diags);
	free(sc);
}

void sim_scenario_list(const struct sim *s, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	DIR *dir = opendir(s->scenarios_dir);
	if (!dir)
		return;
	struct dirent *e;
	for (int n = 0; (e = readdir(dir)) != NULL && n < 1000 && o < len; n++) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0)
			o += (size_t)snprintf(buf + o, len - o, "%s%.*s", o ? " " : "", (int)(l - 5),
					      e->d_name);
	}
	closedir(dir);
}

static bool name_ok(const char *name)
{
	if (!name[0] || strlen(name) > 100)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

static int step_cmp(const void *a, const void *b)
{
	const struct sim_step *x = a, *y = b;
	return x->at_s < y->at_s ? -1 : x->at_s > y->at_s;
}

struct sim_scenario *sim_scenario_load(struct sim *s, const char *name, char *err, size_t len)
{
	char path[4096], list[1024];
	if (!name_ok(name)) {
		sim_scenario_list(s, list, sizeof(list));
		snprintf(err, len, "unknown scenario '%s'; scenarios: %s", name, list);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s.yaml", s->scenarios_dir, name);
	FILE *f = fopen(path, "r");
	if (!f) {
		sim_scenario_list(s, list, sizeof(list));
		snprintf(err, len, "unknown scenario '%s' (no %s); scenarios: %s", name, path, list);
		return NULL;
	}
	fclose(f);
	struct sim_scenario *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return NULL;
	cfg_diags_init(&sc->diags);
	sc->accel = 1;
	struct cfgnode *root = cfgnode_load_file(path, &sc->diags);
	if (root) {
		cfg_decode(root, scen_keys, sc, &sc->diags, s);
		if (sc->diags.nerrors == 0 && sc->name && strcmp(sc->name, name) != 0)
			cfg_error(&sc->diags, &cfgnode_get(root, "name")->pos,
				  "name '%s' differs from the file name '%s'", sc->name, name);
		cfgnode_free(root);
	}
	for (size_t i = 0; i < sc->nsteps; i++)
		sc->steps[i].at_s = (double)sc->steps[i].at_ms / 1000.0;
	if (sc->diags.nerrors) {
		size_t o = 0;
		for (size_t i = 0; i < sc->diags.n && o < len; i++) {
			const struct cfg_diag *dg = &sc->diags.v[i];
			o += (size_t)snprintf(err + o, len - o, "%s%s:%d:%d: %s: %s", i ? "\n" : "",
					      dg->pos.file, dg->pos.line, dg->pos.col,
					      dg->warning ? "warning" : "error", dg->msg);
		}
		sim_scenario_free(sc);
		return NULL;
	}
	qsort(sc->steps, sc->nsteps, sizeof(*sc->steps), step_cmp);
	return sc;
}

void sim_scenario_start(struct sim *s, struct sim_scenario *sc, double speed)
{
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		free(d->knobs);
		d->knobs = NULL;
		d->nknobs = 0;
		sim_knobs_init(d);
		for (size_t j = 0; j < d->npins; j++) {
			free(d->pins[j].metric);
			free(d->pins[j].inst);
		}
		d->npins = 0;
	}
	sim_physics_init(s);
	sim_scenario_free(s->scen);
	s->scen = sc;
	s->scen_next = 0;
	s->scen_t0_s = s->t_s;
	s->speed = speed;
	s->accel = sc->accel;
	snprintf(s->scen_note, sizeof(s->scen_note), "%s", sc->description ? sc->description : "");
	log_info("sim", NULL, "scenario %s started (acceleration %g x %g)", sc->name, sc->accel, speed);
}

void sim_scenario_advance(struct sim *s)
{
	struct sim_scenario *sc = s->scen;
	while (sc && s->scen_next < sc->nsteps &&
	       s->t_s - s->scen_t0_s >= sc->steps[s->scen_next].at_s - 1e-9) {
		struct sim_step *st = &sc->steps[s->scen_next++];
		char err[1024];
		for (size_t i = 0; i < st->nsets; i++)
			if (sim_set(s, st->targets[i], st->values[i], true, err, sizeof(err)) < 0)
				log_warnx("sim", NULL, "%s: %s", sc->name, err);
		if (!isnan(st->accel))
			s->accel = st->accel;
		if (st->note)
			snprintf(s->scen_note, sizeof(s->scen_note), "%s", st->note);
		log_info("sim", NULL, "scenario %s at %.0fs: %s", sc->name, st->at_s,
			 st->note ? st->note : "step");
	}
}
