/* Syntax checks of ids, e-mail addresses, metric globs and regular expressions, and node
 * position helpers. */
#include "config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/metric.h"

#define EMAIL_MAX 254      /* bytes, RFC 5321 path limit */
#define EMAIL_LOCAL_MAX 64 /* bytes */
#define DNS_LABEL_MAX 63   /* bytes */

static bool all_in(const char *s, size_t len, const char *extra)
{
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && strchr(extra, s[i]) == NULL)
			return false;
	}
	return true;
}

bool cfg_id_valid(const char *id)
{
	return id != NULL && *id != '\0' && all_in(id, strlen(id), "_.-");
}

/* Dot-atom local part: atext characters, dots only between them. */
static bool email_local_valid(const char *s, size_t len)
{
	if (len == 0 || len > EMAIL_LOCAL_MAX || s[0] == '.' || s[len - 1] == '.')
		return false;
	if (memmem(s, len, "..", 2) != NULL)
		return false;
	return all_in(s, len, "!#$%&'*+/=?^_`{|}~-.");
}

/* Host name: dot-separated labels of letters, digits and inner hyphens. */
static bool email_domain_valid(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || s[len - 1] == '.')
		return false;
	while (*s != '\0') {
		size_t l = strcspn(s, ".");
		if (l == 0 || l > DNS_LABEL_MAX || s[0] == '-' || s[l - 1] == '-' ||
		    !all_in(s, l, "-"))
			return false;
		s += l + (s[l] == '.');
	}
	return true;
}

bool cfg_email_valid(const char *addr)
{
	if (addr == NULL || strlen(addr) > EMAIL_MAX)
		return false;
	const char *at = strrchr(addr, '@');
	if (at == NULL || strchr(addr, '@') != at)
		return false;
	return email_local_valid(addr, (size_t)(at - addr)) && email_domain_valid(at + 1);
}

bool cfg_ip_literal_valid(const char *addr)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return addr && (inet_pton(AF_INET, addr, buf) == 1 || inet_pton(AF_INET6, addr, buf) == 1);
}

static bool metric_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Length of a bracket expression [!a-z_] at s (s[0] == '['), or 0 if malformed. */
static size_t glob_bracket(const char *s)
{
	size_t i = 1;
	if (s[i] == '!' || s[i] == '^')
		i++;
	size_t first = i;
	for (; s[i] != ']'; i++) {
		if (s[i] == '\0' || !(metric_char(s[i]) || (s[i] == '-' && i > first)))
			return 0;
	}
	return i > first ? i + 1 : 0;
}

bool cfg_metric_glob_valid(const char *glob)
{
	if (glob == NULL || *glob == '\0' || strlen(glob) >= METRIC_NAME_MAX)
		return false;
	for (const char *p = glob; *p != '\0';) {
		if (*p == '[') {
			size_t l = glob_bracket(p);
			if (l == 0)
				return false;
			p += l;
		} else if (metric_char(*p) || *p == '*' || *p == '?') {
			p++;
		} else {
			return false;
		}
	}
	return true;
}

int cfg_regex_check(const char *pattern, const struct cfgnode *node, const char *key,
                    struct cfg_diags *d)
{
	regex_t re;
	int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc == 0) {
		regfree(&re);
		return 0;
	}
	char msg[128];
	regerror(rc, &re, msg, sizeof(msg));
	cfg_error(d, cfg_key_pos(node, key), "%s: invalid regular expression: %s", key, msg);
	return -EINVAL;
}

const struct cfgnode *cfg_list_item(const struct cfgnode *map, const char *key, size_t i)
{
	const struct cfgnode *v = cfgnode_get(map, key);
	if (v == NULL || v->type != CFGNODE_SEQ)
		return v;
	return i < v->n ? v->items[i] : v;
}

const struct cfgnode *cfg_section_item(const struct cfgnode *root, const char *section, size_t i)
{
	const struct cfgnode *seq = cfgnode_get(root, section);
	if (seq == NULL || seq->type != CFGNODE_SEQ || i >= seq->n)
		return NULL;
	return seq->items[i];
}

void cfg_check_emails(char *const *email, size_t n, const struct cfgnode *map, const char *key,
                      struct cfg_diags *d)
{
	for (size_t i = 0; i < n; i++) {
		if (!cfg_email_valid(email[i]))
			cfg_error(d, &cfg_list_item(map, key, i)->pos,
			          "%s: '%s' is not a valid e-mail address (expected user@domain)",
			          key, email[i]);
	}
}
