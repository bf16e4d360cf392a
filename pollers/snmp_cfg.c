/* The device `snmp:` section: a key table, defaults, and secrets that are read from
 * files and refused when other users could read them. */
#include "dcmon/snmp.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmon/cfgtree.h"
#include "snmp_int.h"

#define SECRET_MAX 256 /* bytes of a pass phrase file read, incl. NUL */

const char *const snmp_cfg_version_names[] = {"1", "2c", "3", NULL};
const char *const snmp_cfg_auth_names[] = {"none",   "md5",    "sha",    "sha224",
					   "sha256", "sha384", "sha512", NULL};
const char *const snmp_cfg_priv_names[] = {"none", "des", "aes", NULL};

#define RAW(f) offsetof(struct cfg_snmp, f)
const struct cfg_key snmp_cfg_keys[] = {
	{.name = "host", .type = CFGK_STRING, .offset = RAW(host)},
	{.name = "port", .type = CFGK_INT, .offset = RAW(port), .min = 1, .max = 65535},
	{.name = "version", .type = CFGK_ENUM, .offset = RAW(version),
	 .names = snmp_cfg_version_names},
	{.name = "community", .type = CFGK_STRING, .offset = RAW(community)},
	{.name = "user", .type = CFGK_STRING, .offset = RAW(user)},
	{.name = "auth_proto", .type = CFGK_ENUM, .offset = RAW(auth_proto),
	 .names = snmp_cfg_auth_names},
	{.name = "auth_pass", .type = CFGK_STRING, .offset = RAW(auth_pass)},
	{.name = "auth_pass_file", .type = CFGK_STRING, .offset = RAW(auth_pass_file)},
	{.name = "priv_proto", .type = CFGK_ENUM, .offset = RAW(priv_proto),
	 .names = snmp_cfg_priv_names},
	{.name = "priv_pass", .type = CFGK_STRING, .offset = RAW(priv_pass)},
	{.name = "priv_pass_file", .type = CFGK_STRING, .offset = RAW(priv_pass_file)},
	{.name = "context", .type = CFGK_STRING, .offset = RAW(context)},
	{.name = "timeout", .type = CFGK_DURATION, .offset = RAW(timeout_ms), .min = 10,
	 .max = 60000},
	{.name = "retries", .type = CFGK_INT, .offset = RAW(retries), .min = 0, .max = 10},
	{.name = "max_repetitions", .type = CFGK_INT, .offset = RAW(max_bulk),
	 .min = 1, .max = 1000},
	{.name = "max_varbinds", .type = CFGK_INT, .offset = RAW(max_varbinds), .min = 1,
	 .max = 500},
	{.name = "max_inflight", .type = CFGK_INT, .offset = RAW(max_inflight), .min = 1,
	 .max = 64},
	{.name = "max_rows", .type = CFGK_INT, .offset = RAW(max_rows), .min = 1,
	 .max = SNMP_MAX_ROWS_LIMIT},
	{.name = "max_poll_bytes", .type = CFGK_INT64, .offset = RAW(max_poll_bytes),
	 .min = 65536, .max = (int64_t)1 << 32, .expect = "bytes, 65536..4294967296"},
	{.name = "recheck_unsupported", .type = CFGK_DURATION,
	 .offset = RAW(recheck_unsupported_ms), .min = 1000, .max = 604800000},
	{.name = NULL},
};

void snmp_cfg_defaults(struct cfg_snmp *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 161;
	c->version = SNMPCFG_V2C;
	c->auth_proto = -1;
	c->priv_proto = -1;
	c->timeout_ms = CFG_UNSET;
	c->retries = 1;
	c->max_bulk = 25;
	c->max_varbinds = 40;
	c->max_inflight = 4;
	c->max_poll_bytes = SNMP_POLL_BYTES_DEFAULT;
	c->recheck_unsupported_ms = SNMP_RECHECK_DEFAULT_MS;
}

/* True if users other than the owner and group may read the file at path. */
static bool file_world_readable(const char *path)
{
	struct stat st;

	return path && stat(path, &st) == 0 && (st.st_mode & S_IROTH);
}

/* Resolves `name` against the directory of the config file `base`. */
static void resolve_path(const char *base, const char *name, char *out, size_t len)
{
	char tmp[PATH_MAX];

	if (name[0] == '/' || !base) {
		snprintf(out, len, "%s", name);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s", base);
	snprintf(out, len, "%s/%s", dirname(tmp), name);
}

/* Reads a pass phrase file (first line, at most SECRET_MAX-1 bytes); refuses a file
 * that others may read.  Returns the secret or NULL after reporting. */
static char *secret_read(const char *base, const char *name, const struct cfg_pos *pos,
			 struct cfg_diags *d)
{
	char path[PATH_MAX], buf[SECRET_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	resolve_path(base, name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cfg_error(d, pos, "cannot open pass phrase file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH))) {
		cfg_error(d, pos, "pass phrase file %s is accessible by others (mode %04o); "
			  "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		cfg_error(d, pos, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	char *s = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return s;
}

/* Fills a pass phrase from its *_file key when given; both given is an error. */
static int secret_resolve(char **pass, char *file, const char *key, const struct cfgnode *node,
			  struct cfg_diags *d)
{
	if (!file)
		return 0;
	if (*pass) {
		cfg_error(d, &node->pos, "give %s or %s_file, not both", key, key);
		return -EINVAL;
	}
	*pass = secret_read(node->pos.file, file, &node->pos, d);
	return *pass ? 0 : -EINVAL;
}

/* v3 checks: user present, pass phrases long enough, protocols defaulted. */
static int check_v3(struct cfg_snmp *c, const struct cfgnode *node, struct cfg_diags *d)
{
	int rc = 0;

	if (!c->user) {
		cfg_error(d, &node->pos, "SNMPv3 needs `user`");
		rc = -EINVAL;
	}
	if (c->auth_proto < 0)
		c->auth_proto = c->auth_pass ? SNMPCFG_AUTH_SHA : SNMPCFG_AUTH_NONE;
	if (c->priv_proto < 0)
		c->priv_proto = c->priv_pass ? SNMPCFG_PRIV_AES : SNMPCFG_PRIV_NONE;
	if (c->auth_proto != SNMPCFG_AUTH_NONE && (!c->auth_pass || strlen(c->auth_pass) < 8)) {
		cfg_error(d, &node->pos, "auth_pass must be at least 8 characters");
		rc = -EINVAL;
	}
	if (c->priv_proto != SNMPCFG_PRIV_NONE) {
		if (c->auth_proto == SNMPCFG_AUTH_NONE) {
			cfg_error(d, &node->pos, "privacy (priv_proto) needs authentication");
			rc = -EINVAL;
		}
		if (!c->priv_pass || strlen(c->priv_pass) < 8) {
			cfg_error(d, &node->pos, "priv_pass must be at least 8 characters");
			rc = -EINVAL;
		}
	}
	return rc;
}

/* Inline secrets in a file others can read: v3 pass phrases refused, a private
 * community warned about. */
static int check_inline_secrets(const struct cfg_snmp *c, const struct cfgnode *node,
				struct cfg_diags *d)
{
	if (!file_world_readable(node->pos.file))
		return 0;
	if ((c->auth_pass && !c->auth_pass_file) || (c->priv_pass && !c->priv_pass_file)) {
		cfg_error(d, &node->pos, "SNMPv3 pass phrase in %s, which others can read: "
			  "chmod 600 the file or use auth_pass_file/priv_pass_file",
			  node->pos.file);
		return -EINVAL;
	}
	if (c->community && strcmp(c->community, "public") != 0)
		cfg_warning(d, &node->pos, "SNMP community in %s, which others can read",
			    node->pos.file);
	return 0;
}

void snmp_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	snmp_cfg_defaults(elem);
	((struct cfg_snmp *)elem)->pos = node->pos;
}

int snmp_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_snmp *c = elem;
	int rc = 0;

	if (secret_resolve(&c->auth_pass, c->auth_pass_file, "auth_pass", node, d) < 0)
		rc = -EINVAL;
	if (secret_resolve(&c->priv_pass, c->priv_pass_file, "priv_pass", node, d) < 0)
		rc = -EINVAL;
	if (c->version == SNMPCFG_V3) {
		if (check_v3(c, node, d) < 0)
			rc = -EINVAL;
	} else {
		if (!c->community)
			c->community = strdup("public");
		c->auth_proto = c->auth_proto < 0 ? SNMPCFG_AUTH_NONE : c->auth_proto;
		c->priv_proto = c->priv_proto < 0 ? SNMPCFG_PRIV_NONE : c->priv_proto;
	}
	if (check_inline_secrets(c, node, d) < 0)
		rc = -EINVAL;
	return rc;
}

/* Frees a string that may hold a secret, wiping it first. */
static void secret_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void snmp_cfg_free_fields(struct cfg_snmp *s)
{
	free(s->host);
	secret_free(s->community);
	free(s->user);
	secret_free(s->auth_pass);
	secret_free(s->priv_pass);
	free(s->context);
	free(s->auth_pass_file);
	free(s->priv_pass_file);
}
