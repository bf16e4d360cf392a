/* Profile cache: thousands of devices share a handful of profiles, so each file is read
 * once and shared by reference.  A file changed on disk (mtime or size) is read again
 * for devices created afterwards (a reload); devices still holding the old version keep
 * it until they are freed.
 */
#include "modbus.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct pcache_entry {
	struct pcache_entry *next;
	struct modbus_profile *prof;
	struct timespec mtime;   /* of the file when read */
	off_t size;              /* bytes, when read */
	int refs;
	bool current;            /* the version new devices get */
};

static struct pcache_entry *entries; /* loop thread only */

static bool same_file(const struct pcache_entry *e, const struct stat *st)
{
	return e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
	       e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static struct pcache_entry *pcache_find(const char *path, const struct stat *st)
{
	for (struct pcache_entry *e = entries; e; e = e->next) {
		if (!e->current || strcmp(e->prof->path, path) != 0)
			continue;
		if (same_file(e, st))
			return e;
		e->current = false; /* stale: keep for its holders only */
	}
	return NULL;
}

const struct modbus_profile *modbus_pcache_get(const char *path, struct cfg_diags *d)
{
	struct stat st;
	struct pcache_entry *e;
	struct modbus_profile *p;

	if (stat(path, &st) < 0) {
		struct cfg_pos pos = { .file = path };

		cfg_error(d, &pos, "cannot read profile: %s", strerror(errno));
		return NULL;
	}
	e = pcache_find(path, &st);
	if (e) {
		e->refs++;
		return e->prof;
	}
	p = modbus_profile_load(path, d);
	e = p ? calloc(1, sizeof *e) : NULL;
	if (!e) {
		modbus_profile_free(p);
		return NULL;
	}
	*e = (struct pcache_entry){ .next = entries, .prof = p, .mtime = st.st_mtim,
				    .size = st.st_size, .refs = 1, .current = true };
	entries = e;
	return p;
}

void modbus_pcache_put(const struct modbus_profile *p)
{
	struct pcache_entry **pp = &entries, *e;

	if (!p)
		return;
	while (*pp && (*pp)->prof != p)
		pp = &(*pp)->next;
	e = *pp;
	if (!e || --e->refs > 0)
		return;
	*pp = e->next;
	modbus_profile_free(e->prof);
	free(e);
}

int modbus_profile_path(const struct cfg *cfg, const char *profile, char *buf, size_t len)
{
	char dir[4096];
	int n;

	if (strchr(profile, '/'))
		n = snprintf(buf, len, "%s", profile);
	else if (cfg && cfg->daemon.profiles_dir)
		n = snprintf(buf, len, "%s/%s.yaml", cfg->daemon.profiles_dir, profile);
	else {
		snprintf(dir, sizeof dir, "%s", cfg && cfg->path ? cfg->path : ".");
		n = snprintf(buf, len, "%s/profiles/%s.yaml", cfg && cfg->path ? dirname(dir) : ".",
			     profile);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
