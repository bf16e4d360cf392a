/* The `daemon:` section: paths, socket, defaults for polling, archive batching. */
#include "config_int.h"
#include "dcmon/daemon_priv.h"
#include "dcmon/part.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/enumtab.h"

#define DM(f) offsetof(struct cfg_daemon, f)

static bool same_int(const void *a, const void *b)
{
	return *(const int *)a == *(const int *)b;
}

/* log_level through the log module's own parser, so the names live in one place. */
static int decode_log_level(const struct cfgnode *node, void *field, struct cfg_diags *d, void *ctx)
{
	char levels[64];
	if (node->type == CFGNODE_SCALAR && log_level_parse(node->scalar, field) == 0)
		return 0;
	cfg_error(d, &node->pos, "log_level: expected one of %s, got %s%s%s",
	          enum_list(log_level_names, levels, sizeof levels),
	          node->type == CFGNODE_SCALAR ? "'" : "a ",
	          node->type == CFGNODE_SCALAR ? node->scalar : cfgnode_type_name(node->type),
	          node->type == CFGNODE_SCALAR ? "'" : "");
	return -EINVAL;
}

/* The parts' sections (snmp_trap:, http:, smtp:, ...) are appended at the first load
 * (dcmon/part.h daemon_keys, cfg_parts_attach). */
struct cfg_key cfg_daemon_keys[CFG_DAEMON_KEYS_MAX] = {
    {.name = "data_dir", .type = CFGK_STRING, .offset = DM(data_dir)},
    {.name = "state_dir", .type = CFGK_STRING, .offset = DM(state_dir)},
    {.name = "socket", .type = CFGK_STRING, .offset = DM(socket_path)},
    {.name = "socket_group", .type = CFGK_STRING, .offset = DM(socket_group)},
    {.name = "user", .type = CFGK_STRING, .offset = DM(user),
     .expect = "the name of an existing user, like dcmon"},
    {.name = "rrdcached",
     .type = CFGK_STRING,
     .offset = DM(rrdcached),
     .expect = "unix:/path or host:port"},
    {.name = "profiles_dir", .type = CFGK_STRING, .offset = DM(profiles_dir)},
    {.name = "log_level",
     .type = CFGK_CUSTOM,
     .offset = DM(log_level),
     .custom = decode_log_level,
     .same = same_int},
    {.name = "interval",
     .type = CFGK_DURATION,
     .offset = DM(interval_ms),
     .min = 100,
     .max = 86400000},
    {.name = "timeout", .type = CFGK_DURATION, .offset = DM(timeout_ms), .min = 1, .max = 3600000},
    {.name = "archive_flush",
     .type = CFGK_DURATION,
     .offset = DM(archive_flush_ms),
     .min = 0,
     .max = 3600000},
    {.name = "archive_queue_max",
     .type = CFGK_INT,
     .offset = DM(archive_queue_max),
     .min = 10000,
     .max = 100000000,
     .expect = "values held in memory, 10000..100000000"},
    {.name = "max_series_per_device",
     .type = CFGK_INT,
     .offset = DM(max_series_per_device),
     .min = 1,
     .max = 10000000,
     .expect = "metrics (RRD files) per device, 1..10000000"},
    {.name = "max_backoff",
     .type = CFGK_INT,
     .offset = DM(max_backoff_factor),
     .min = 1,
     .max = 1024,
     .expect = "a multiple of the interval, 1..1024"},
    {.name = "plugin_concurrency",
     .type = CFGK_INT,
     .offset = DM(plugin_concurrency),
     .min = 1,
     .max = 1024,
     .expect = "plugin checks running at once, 1..1024"},
    {.name = NULL},
};

/* The user to run as must exist now: a typo found at the next start would leave the
 * site unmonitored. */
int cfg_daemon_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	const struct cfg_daemon *dm = elem;
	struct daemon_user u;
	int rc;

	if (!dm->user || (rc = daemon_user_lookup(dm->user, &u)) == 0)
		return 0;
	if (rc == -ENOENT)
		cfg_error(d, cfg_key_pos(node, "user"),
			  "daemon: user: no such user '%s' (create it: useradd --system %s)", dm->user,
			  dm->user);
	else
		cfg_error(d, cfg_key_pos(node, "user"), "daemon: user: '%s': %s", dm->user,
			  strerror(-rc));
	return -EINVAL;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL)
		abort();
	return p;
}

void cfg_daemon_defaults(struct cfg_daemon *dm)
{
	memset(dm, 0, sizeof(*dm));
	dm->data_dir = xstrdup("/var/lib/dcmon");
	dm->socket_path = xstrdup("/run/dcmon/dcmon.sock");
	dm->log_level = LOG_LVL_INFO;
	dm->interval_ms = 10000;
	dm->timeout_ms = 2000;
	dm->archive_flush_ms = 30000; /* many values per rrd_update: the per-call cost dominates */
	dm->max_backoff_factor = 8;
	dm->max_series_per_device = 4096;
	dm->plugin_concurrency = 16;
}

/* Makes *path absolute against dir when it is relative ("." stays the dir itself). */
void cfg_path_resolve(char **path, const char *dir)
{
	if (*path == NULL || (*path)[0] == '/' || (*path)[0] == '\0' || dir == NULL)
		return;
	const char *rel = *path;
	if (strcmp(rel, ".") == 0)
		rel = "";
	else if (strncmp(rel, "./", 2) == 0)
		rel += 2;
	char *abs;
	if (asprintf(&abs, "%s%s%s", dir, *rel ? "/" : "", rel) < 0)
		abort();
	free(*path);
	*path = abs;
}

/* rrdcached "unix:relative/path" is resolved like a path; host:port is left alone. */
static void rrdcached_resolve(char **addr, const char *dir)
{
	if (*addr == NULL || strncmp(*addr, "unix:", 5) != 0 || (*addr)[5] == '/')
		return;
	char *path = xstrdup(*addr + 5);
	cfg_path_resolve(&path, dir);
	char *full;
	if (asprintf(&full, "unix:%s", path) < 0)
		abort();
	free(path);
	free(*addr);
	*addr = full;
}

void cfg_daemon_resolve(struct cfg_daemon *dm, const char *dir)
{
	if (dm->profiles_dir == NULL)
		dm->profiles_dir = xstrdup("profiles");
	cfg_path_resolve(&dm->data_dir, dir);
	if (dm->state_dir == NULL)
		dm->state_dir = xstrdup(dm->data_dir);
	cfg_path_resolve(&dm->state_dir, dir);
	cfg_path_resolve(&dm->socket_path, dir);
	cfg_path_resolve(&dm->profiles_dir, dir);
	rrdcached_resolve(&dm->rrdcached, dir);
	for (const struct dcmon_part *const *p = dcmon_parts; *p; p++) {
		if ((*p)->daemon_resolve)
			(*p)->daemon_resolve(dm, dir);
	}
}
