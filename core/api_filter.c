/* Device filters of the API (site, room, kind, device glob, tenant): checked against
 * the config so that a typo is a 400 with a message, not a silently empty answer. */
#include "api_internal.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "dcmon/enumtab.h"

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Is id a configured site, or the site of some device? */
static bool site_known(const struct cfg *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->nsites; i++)
		if (str_eq(cfg->sites[i].id, id))
			return true;
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (str_eq(cfg->devices[i].loc.site, id))
			return true;
	return false;
}

static bool room_known(const struct cfg *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->nsites; i++)
		for (size_t r = 0; r < cfg->sites[i].nrooms; r++)
			if (str_eq(cfg->sites[i].rooms[r].id, id))
				return true;
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (str_eq(cfg->devices[i].loc.room, id))
			return true;
	return false;
}

static bool tenant_known(const struct cfg *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->ntenants; i++)
		if (str_eq(cfg->tenants[i].id, id))
			return true;
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (str_eq(api_device_tenant(cfg, &cfg->devices[i]), id))
			return true;
	return false;
}

/* Reads one filter value; an empty value is an error. */
static int filter_value(const struct api_ctx *ctx, const char *name, const char **out,
			char *err, size_t errlen)
{
	*out = api_query_get(ctx->query, name);
	if (*out && !(*out)[0]) {
		snprintf(err, errlen, "empty value for query parameter '%s'", name);
		return -EINVAL;
	}
	return 0;
}

/* Checks an exact-id filter against the config. */
static int filter_known(const struct cfg *cfg, const char *what, const char *v,
			bool (*known)(const struct cfg *, const char *), char *err, size_t errlen)
{
	if (!v || known(cfg, v))
		return 0;
	snprintf(err, errlen, "unknown %s '%s'", what, v);
	return -EINVAL;
}

static int filter_kind(struct api_dev_filter *f, const char *v, char *err, size_t errlen)
{
	f->has_kind = v != NULL;
	if (!v || dev_kind_parse(v, &f->kind) == 0)
		return 0;
	char kinds[256];
	enum_list(cfg_dev_kind_names, kinds, sizeof kinds);
	snprintf(err, errlen, "unknown device kind '%s' (one of: %s)", v, kinds);
	return -EINVAL;
}

int api_dev_filter_parse(const struct api_ctx *ctx, struct api_dev_filter *f, char *err,
			 size_t errlen)
{
	const struct cfg *cfg = ctx->env->cfg;
	const char *kind;
	*f = (struct api_dev_filter){0};
	if (filter_value(ctx, "site", &f->site, err, errlen) < 0 ||
	    filter_value(ctx, "room", &f->room, err, errlen) < 0 ||
	    filter_value(ctx, "device", &f->device, err, errlen) < 0 ||
	    filter_value(ctx, "tenant", &f->tenant, err, errlen) < 0 ||
	    filter_value(ctx, "kind", &kind, err, errlen) < 0)
		return -EINVAL;
	if (filter_known(cfg, "site", f->site, site_known, err, errlen) < 0 ||
	    filter_known(cfg, "room", f->room, room_known, err, errlen) < 0 ||
	    filter_known(cfg, "tenant", f->tenant, tenant_known, err, errlen) < 0)
		return -EINVAL;
	return filter_kind(f, kind, err, errlen);
}

bool api_dev_filter_match(const struct cfg *cfg, const struct api_dev_filter *f,
			  const struct cfg_device *dev)
{
	if (f->site && !str_eq(f->site, dev->loc.site))
		return false;
	if (f->room && !str_eq(f->room, dev->loc.room))
		return false;
	if (f->has_kind && f->kind != dev->kind)
		return false;
	if (f->device && fnmatch(f->device, dev->id, 0) != 0)
		return false;
	if (f->tenant && !str_eq(f->tenant, api_device_tenant(cfg, dev)))
		return false;
	return true;
}
