/* Mount table reading and statvfs figures; see mounts.h. */
#include "mounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MOUNTS_LINE_MAX (64 * 1024) /* bytes; longer lines are skipped */

static const char *const ignored_types[] = {
	"autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs",
	"devpts", "devtmpfs", "efivarfs", "fusectl", "fuse.gvfsd-fuse", "fuse.portal",
	"hugetlbfs", "mqueue", "nsfs", "proc", "pstore", "ramfs", "rootfs", "rpc_pipefs",
	"securityfs", "selinuxfs", "squashfs", "sysfs", "tmpfs", "tracefs", "nfsd", NULL,
};

bool mounts_type_ignored(const char *type)
{
	for (const char *const *t = ignored_types; *t; t++)
		if (strcmp(*t, type) == 0)
			return true;
	return false;
}

/* Decodes the kernel's octal escapes (\040 space, \011 tab, \012, \134) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* Index of dir in l, or l->n. */
static size_t find_dir(const struct mount_list *l, const char *dir)
{
	size_t i = 0;

	while (i < l->n && strcmp(l->v[i].dir, dir) != 0)
		i++;
	return i;
}

/* Adds or replaces (a later mount hides an earlier one) the entry for dir. */
static int add_entry(struct mount_list *l, const char *dir, const char *type)
{
	size_t i = find_dir(l, dir);
	char *d = strdup(dir), *t = strdup(type);

	if (d == NULL || t == NULL || (i == l->n && l->n >= MOUNTS_MAX)) {
		free(d);
		free(t);
		return d == NULL || t == NULL ? -ENOMEM : 0;
	}
	if (i == l->n) {
		struct mount_ent *v = realloc(l->v, (l->n + 1) * sizeof(*v));
		if (v == NULL) {
			free(d);
			free(t);
			return -ENOMEM;
		}
		l->v = v;
		l->n++;
	} else {
		free(l->v[i].dir);
		free(l->v[i].type);
	}
	l->v[i] = (struct mount_ent){.dir = d, .type = t};
	return 0;
}

/* One line "src dir type opts freq passno". */
static int parse_line(struct mount_list *l, char *line)
{
	char *save = NULL, *src = strtok_r(line, " \t\n", &save);
	char *dir = src ? strtok_r(NULL, " \t\n", &save) : NULL;
	char *type = dir ? strtok_r(NULL, " \t\n", &save) : NULL;

	if (type == NULL || mounts_type_ignored(type))
		return 0;
	unescape(dir);
	if (dir[0] != '/')
		return 0;
	return add_entry(l, dir, type);
}

int mounts_read(const char *path, struct mount_list *out)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	if (f == NULL)
		return -errno;
	for (size_t i = 0; rc == 0 && i < 4 * MOUNTS_MAX && (len = getline(&line, &cap, f)) > 0;
	     i++)
		if (len < MOUNTS_LINE_MAX)
			rc = parse_line(out, line);
	free(line);
	fclose(f);
	return rc;
}

/* Marks entries sharing st_dev with a shorter (or earlier, equally long) mount point. */
static void mark_dups(struct mount_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct mount_ent *a = &l->v[i];
		for (size_t j = 0; j < l->n && !a->dup; j++) {
			const struct mount_ent *b = &l->v[j];
			size_t la = strlen(a->dir), lb = strlen(b->dir);
			if (j != i && b->err == 0 && a->err == 0 && b->dev == a->dev &&
			    (lb < la || (lb == la && j < i)))
				a->dup = true;
		}
	}
}

void mounts_stat(struct mount_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct mount_ent *e = &l->v[i];
		struct stat st;
		if (stat(e->dir, &st) < 0 || statvfs(e->dir, &e->sv) < 0) {
			e->err = errno;
			continue;
		}
		e->dev = st.st_dev;
	}
	mark_dups(l);
}

void mounts_free(struct mount_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].dir);
		free(l->v[i].type);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
