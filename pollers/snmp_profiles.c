/* The profiles a daemon uses, loaded once and shared by reference (loop thread), found
 * by name or by the longest sysObjectID prefix. */
#include "snmp_int.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/host_checks.h"
#include "dcmon/log.h"

static struct snmp_profile **cache; /* loaded profiles, refs > 0 */
static size_t ncache;

void snmp_profiles_dir(const struct cfg *cfg, char *buf, size_t len)
{
	char tmp[PATH_MAX];

	if (cfg && cfg->daemon.profiles_dir) {
		snprintf(buf, len, "%s", cfg->daemon.profiles_dir);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s", cfg && cfg->path ? cfg->path : ".");
	snprintf(buf, len, "%s/profiles", dirname(tmp));
}

static struct snmp_profile *cache_find(const char *path)
{
	for (size_t i = 0; i < ncache; i++)
		if (strcmp(cache[i]->path, path) == 0)
			return cache[i];
	return NULL;
}

static struct snmp_profile *cache_load(const char *path, struct cfg_diags *d)
{
	struct snmp_profile *p = cache_find(path), **v;

	if (p) {
		p->refs++;
		return p;
	}
	p = snmp_profile_load(path, d);
	if (!p)
		return NULL;
	v = realloc(cache, (ncache + 1) * sizeof(*v));
	if (!v) {
		snmp_profile_free(p);
		return NULL;
	}
	cache = v;
	cache[ncache++] = p;
	p->refs = 1;
	return p;
}

static void snmp_profiles_put_all_refs(struct snmp_profile **v, size_t n);

static struct snmp_profile *profile_get_one(const char *dir, const char *name,
					     struct cfg_diags *d)
{
	char path[PATH_MAX];

	if (strchr(name, '/')) {
		cfg_error(d, NULL, "profile name '%s' must not hold '/'", name);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
	return cache_load(path, d);
}

#define PROFILES_PER_DEVICE 8 /* names in one `profile: a+b` */

/* `profile: ups-rfc1628+host-resources`: several profiles polled as one. */
struct snmp_profile *snmp_profile_get(const char *dir, const char *name, struct cfg_diags *d)
{
	struct snmp_profile *v[PROFILES_PER_DEVICE];
	char buf[PATH_MAX], *save = NULL;
	size_t n = 0;

	if (!strchr(name, '+'))
		return profile_get_one(dir, name, d);
	snprintf(buf, sizeof(buf), "%s", name);
	for (char *tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		if (n == PROFILES_PER_DEVICE) {
			cfg_error(d, NULL, "more than %d profiles in '%s'", PROFILES_PER_DEVICE, name);
			goto fail;
		}
		if (!(v[n] = profile_get_one(dir, tok, d)))
			goto fail;
		n++;
	}
	if (n == 0) {
		cfg_error(d, NULL, "empty profile name '%s'", name);
		return NULL;
	}
	return snmp_profile_combine(v, n);
fail:
	snmp_profiles_put_all_refs(v, n);
	return NULL;
}

static size_t match_len(const struct snmp_profile *p, const oid *sysoid, size_t len)
{
	size_t best = 0;

	for (size_t i = 0; i < p->nsysoids; i++) {
		const struct snmp_oid *o = &p->sysoids[i];
		if (o->len <= len && o->len > best &&
		    memcmp(o->v, sysoid, o->len * sizeof(oid)) == 0)
			best = o->len;
	}
	return best;
}

/* Is p the combination of v[0..n) in this order? */
static bool combines(const struct snmp_profile *p, struct snmp_profile *const *v, size_t n)
{
	if (p->nparts != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p->parts[i] != v[i])
			return false;
	return true;
}

/* A combination is shared like a file's profile: the devices that answer the same
 * probes hold one copy of its points and tables, not one each (39 bytes a series at
 * the bench's 200 series a device, docs/ARCHITECTURE.md "Memory per series").  It is
 * cached under its parts, never by path (a file's path holds a '/', its name none). */
struct snmp_profile *snmp_profile_combine(struct snmp_profile **v, size_t n)
{
	if (n == 1)
		return v[0];
	for (size_t i = 0; i < ncache; i++)
		if (combines(cache[i], v, n)) {
			cache[i]->refs++;
			snmp_profiles_put_all_refs(v, n);
			return cache[i];
		}
	struct snmp_profile *c = snmp_profile_combine_new(v, n), **nv;
	if (c && (nv = realloc(cache, (ncache + 1) * sizeof(*nv)))) {
		cache = nv;
		cache[ncache++] = c; /* unshared when out of memory: put frees it all the same */
	}
	return c;
}

/* Gives back the references v[0..n) (the array itself is the caller's). */
static void snmp_profiles_put_all_refs(struct snmp_profile **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snmp_profile_put(v[i]);
}

static bool is_yaml(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcmp(name + n - 5, ".yaml") == 0 && name[0] != '.';
}

static int profile_cmp_name(const void *a, const void *b)
{
	const struct snmp_profile *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

struct snmp_profile **snmp_profiles_all(const char *dir, size_t *n)
{
	struct snmp_profile **v = NULL, **nv;
	struct dirent *de;
	DIR *dp = opendir(dir);

	*n = 0;
	if (!dp)
		return NULL;
	while ((de = readdir(dp))) {
		char path[PATH_MAX];
		struct cfg_diags d;
		if (!is_yaml(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		cfg_diags_init(&d);
		struct snmp_profile *p = cache_load(path, &d);
		cfg_diags_free(&d); /* not SNMP profiles, or broken: --check-config says so */
		if (!p)
			continue;
		if (!(nv = realloc(v, (*n + 1) * sizeof(*v)))) {
			snmp_profile_put(p);
			break;
		}
		v = nv;
		v[(*n)++] = p;
	}
	closedir(dp);
	if (v)
		qsort(v, *n, sizeof(*v), profile_cmp_name);
	return v;
}

void snmp_profiles_put_all(struct snmp_profile **v, size_t n)
{
	snmp_profiles_put_all_refs(v, n);
	free(v);
}

struct snmp_profile *snmp_profile_match(const char *dir, const oid *sysoid, size_t len)
{
	struct snmp_profile *best = NULL;
	size_t best_len = 0, n;
	struct snmp_profile **all = snmp_profiles_all(dir, &n);

	for (size_t i = 0; i < n; i++) {
		size_t l = match_len(all[i], sysoid, len);
		if (l > best_len) {
			best = all[i];
			best_len = l;
		}
	}
	if (best)
		best->refs++;
	snmp_profiles_put_all(all, n);
	return best;
}

void snmp_profile_put(struct snmp_profile *p)
{
	if (!p || --p->refs > 0)
		return;
	for (size_t i = 0; i < ncache; i++)
		if (cache[i] == p) {
			cache[i] = cache[--ncache];
			break;
		}
	snmp_profile_free(p);
}

int snmp_profiles_check(const struct cfg *cfg, struct cfg_diags *d)
{
	char dir[PATH_MAX];
	int rc = 0;

	snmp_profiles_dir(cfg, dir, sizeof(dir));
	/* Every reference is held until all devices are checked: a profile that thousands
	 * of devices name stays in the cache and is parsed once, not once per device (the
	 * put would free it and the next device parse it again: most of start-up at 1 M
	 * series). */
	struct snmp_profile **held = calloc(cfg->ndevices ? cfg->ndevices : 1, sizeof(*held));
	size_t nheld = 0;
	if (!held) {
		cfg_error(d, NULL, "out of memory checking the SNMP profiles");
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct cfg_device *dev = &cfg->devices[i];
		if (!dev->profile || (!snmp_device_cfg(dev) && resources_of(dev) != RES_SNMP))
			continue;
		struct snmp_profile *p = snmp_profile_get(dir, dev->profile, d);
		if (!p) {
			cfg_error(d, &dev->pos, "device %s: cannot load SNMP profile '%s' from %s",
				  dev->id, dev->profile, dir);
			rc = -EINVAL;
			continue;
		}
		held[nheld++] = p;
	}
	snmp_profiles_put_all(held, nheld);
	return rc;
}
