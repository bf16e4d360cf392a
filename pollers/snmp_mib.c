/* MIB modules for naming what traps carry: read once per process by net-snmp's own
 * parser (the library is linked already; its tree is never written again after the
 * read), then looked up read-only for each notification -- no file is touched per
 * trap.  Everything else in dcmon keeps numeric OIDs (snmp_lib_init): nothing else
 * formats through the tree. */
#include "snmp_int.h"

#include <stdio.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/loop.h"

/* net-snmp's own default directories on Debian: where the package installs DCMON-MIB
 * and where snmp-mibs-downloader puts the IETF and IANA modules. */
const char *const snmp_mib_default_dirs[] = {"/usr/share/snmp/mibs", "/usr/share/snmp/mibs/iana",
					     "/usr/share/snmp/mibs/ietf", NULL};

static bool mibs_read;

void snmp_mibs_load(char *const *dirs, size_t ndirs, bool given)
{
	int files = 0;
	int64_t t0 = clock_mono_ms();

	if (mibs_read)
		return;
	snmp_lib_init(); /* no MIB of its own: MIBDIRS is /nonexistent, MIBS empty */
	mibs_read = true;
	if (!given) {
		dirs = (char *const *)snmp_mib_default_dirs;
		for (ndirs = 0; snmp_mib_default_dirs[ndirs]; ndirs++)
			;
	}
	for (size_t i = 0; i < ndirs; i++) {
		int n = add_mibdir(dirs[i]); /* -1: no such directory (the defaults may be absent) */
		files += n > 0 ? n : 0;
	}
	if (files > 0)
		read_all_mibs();
	log_info("snmp_trap", NULL, "MIB modules for trap decoding: %d files of %zu "
		 "director%s read in %lld ms", files, ndirs, ndirs == 1 ? "y" : "ies",
		 (long long)(clock_mono_ms() - t0));
}

/* The deepest MIB node on v's path and how many sub-identifiers it covers. */
static struct tree *mib_node(const oid *v, size_t len, size_t *depth)
{
	struct tree *t = len && mibs_read ? get_tree(v, len, get_tree_head()) : NULL;

	*depth = 0;
	for (const struct tree *p = t; p; p = p->parent)
		(*depth)++;
	return t;
}

const char *snmp_mib_notification(const oid *v, size_t len)
{
	size_t depth;
	const struct tree *t = mib_node(v, len, &depth);

	if (!t || depth != len || !t->label ||
	    (t->type != TYPE_NOTIFTYPE && t->type != TYPE_TRAPTYPE))
		return NULL;
	return t->label;
}

bool snmp_mib_notification_named(const char *name)
{
	const struct tree *t = mibs_read ? find_tree_node(name, -1) : NULL;

	return t && (t->type == TYPE_NOTIFTYPE || t->type == TYPE_TRAPTYPE);
}

/* An object that holds values (a scalar or a column): a node without children. */
static bool is_object(const struct tree *t)
{
	return t->label && !t->child_list && t->type != TYPE_OTHER;
}

void snmp_mib_varbind_name(const oid *v, size_t len, char *buf, size_t blen)
{
	size_t depth;
	const struct tree *t = mib_node(v, len, &depth);
	bool column = t && t->parent && t->parent->indexes;

	if (!t || !t->label || (depth < len && !is_object(t))) {
		snmp_oid_format(v, len, buf, blen); /* unknown: its number */
		return;
	}
	if (depth == len || (!column && depth + 1 == len && v[depth] == 0)) {
		snprintf(buf, blen, "%s", t->label); /* the object itself, or a scalar's .0 */
		return;
	}
	char inst[128];
	snmp_oid_format(v + depth, len - depth, inst, sizeof(inst));
	snprintf(buf, blen, "%s.%s", t->label, inst); /* a column's instance kept */
}

bool snmp_mib_enum_text(const oid *v, size_t len, long value, char *buf, size_t blen)
{
	size_t depth;
	const struct tree *t = mib_node(v, len, &depth);

	if (!t || !is_object(t))
		return false;
	for (const struct enum_list *e = t->enums; e; e = e->next)
		if (e->value == value && e->label) {
			snprintf(buf, blen, "%s(%ld)", e->label, value);
			return true;
		}
	return false;
}

void snmp_mibs_load_cfg(const struct cfg *cfg)
{
	const struct cfg_snmp_trap *t = snmp_trap_cfg_of(cfg);

	snmp_mibs_load(t ? t->mibs : NULL, t ? t->nmibs : 0, t && t->mibs_given);
}
