/* The dashboard part: the `http:` section of `daemon:` (the web server and the wall).
 * Its endpoints beyond the JSON API (the wall, events, graphs) are its own server's. */
#include <stddef.h>

#include "dcmon/http.h"
#include "dcmon/log.h"
#include "dcmon/part.h"

static const struct cfg_key daemon_keys[] = {
    {.name = "http", .type = CFGK_SECTION, .offset = CFG_PART_SECTION, .sub = http_cfg_keys,
     .elem_size = sizeof(struct cfg_http), .init = http_cfg_init, .check = http_cfg_check},
    {.name = NULL},
};

const struct cfg_http *http_cfg_of(const struct cfg *cfg)
{
	return cfg_part_section(&cfg->daemon, "http");
}

static void daemon_resolve(struct cfg_daemon *dm, const char *dir)
{
	http_cfg_resolve(*cfg_part_slot(dm, "http"), dir);
}

/* The web server, when the config has an http: section; it serves env->api. */
static int dashboard_new(const struct part_env *env, void **state)
{
	const struct cfg_daemon *dm = &env->cfg->daemon;
	const struct cfg_http *hc = http_cfg_of(env->cfg);
	char err[512] = "";
	*state = NULL;
	if (!hc)
		return 0;
	struct http_opts ho = {.loop = env->loop, .wq = env->wq, .arc = env->arc,
			       .data_dir = dm->data_dir, .rrdcached = dm->rrdcached,
			       .cfg = hc, .env = env->api, .bus = env->bus};
	if (!(*state = http_server_new(&ho, err, sizeof(err)))) {
		log_msg(LOG_LVL_ERROR, "http", NULL, "%s", err);
		return -1;
	}
	return 0;
}

/* The new API state is served; the section's changes apply or wait for a restart. */
static void dashboard_reload(const struct part_env *env, void **state, const struct cfg *old)
{
	http_server_set_env(*state, env->api);
	http_server_reload(*state, http_cfg_of(old), http_cfg_of(env->cfg));
}

static void dashboard_free(void *state)
{
	http_server_free(state);
}

const struct dcmon_part dashboard_part = {
	.name = "dashboard",
	.daemon_keys = daemon_keys,
	.daemon_resolve = daemon_resolve,
	.new = dashboard_new,
	.reload = dashboard_reload,
	.free = dashboard_free,
};
