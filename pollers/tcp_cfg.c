/* A device's `checks: tcp:` list (dcmon/tcp_check.h): its keys, defaults and checks,
 * brought to the config by the tcp poller's ops. */
#include <errno.h>
#include <string.h>

#include "dcmon/config_keys.h"
#include "dcmon/tcp_check.h"

#define TCP(f) offsetof(struct cfg_tcp, f)

static void tcp_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_tcp *t = elem;
	t->timeout_ms = CFG_UNSET;
	t->pos = node->pos;
}

/* Value of the hex digit c, or -1. */
static int hex_digit(char c)
{
	const char *digits = "0123456789abcdef";
	const char *p = c ? strchr(digits, c | 0x20) : NULL;
	return p ? (int)(p - digits) : -1;
}

/* Decodes \r \n \t \\ \0 and \xHH in place; returns false on an unknown escape. */
static bool unescape(char *s)
{
	static const char from[] = "rnt\\0\"'", to[] = "\r\n\t\\\0\"'";
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		const char *e = r[1] ? strchr(from, r[1]) : NULL;
		if (e) {
			*w++ = to[e - from];
			r++;
		} else if (r[1] == 'x' && hex_digit(r[2]) >= 0 && hex_digit(r[3]) >= 0) {
			*w++ = (char)(hex_digit(r[2]) * 16 + hex_digit(r[3]));
			r += 3;
		} else {
			return false;
		}
	}
	*w = '\0';
	return true;
}

static int tcp_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_tcp *t = elem;
	if (t->send == NULL || unescape(t->send))
		return 0;
	cfg_error(d, cfg_key_pos(node, "send"),
	          "send: unknown escape (expected \\r \\n \\t \\\\ \\0 or \\xHH)");
	return -EINVAL;
}

static const struct cfg_key tcp_keys[] = {
    {.name = "host", .type = CFGK_STRING, .offset = TCP(host)},
    {.name = "port",
     .type = CFGK_INT,
     .offset = TCP(port),
     .required = true,
     .min = 1,
     .max = 65535},
    {.name = "send", .type = CFGK_STRING, .offset = TCP(send)},
    {.name = "expect", .type = CFGK_STRING, .offset = TCP(expect)},
    {.name = "timeout", .type = CFGK_DURATION, .offset = TCP(timeout_ms), .min = 1, .max = 600000},
    {.name = NULL},
};

const struct cfg_key tcp_checks_keys[] = {
    CFG_CHECK_LIST("tcp", struct cfg_tcp, tcp_keys, .shorthand = "port", .init = tcp_init,
                   .check = tcp_check),
    {.name = NULL},
};

void tcp_device_check(const struct cfg_device *dev, const struct cfgnode *node,
		      struct cfg_diags *d)
{
	size_t n;
	const struct cfg_tcp *t = tcp_checks_of(dev, &n);
	for (size_t i = 0; i < n; i++)
		if (t[i].host == NULL && dev->host == NULL)
			cfg_error(d, &t[i].pos, "tcp: port %d needs a host (in the check or the device)",
			          t[i].port);
}

const struct cfg_tcp *tcp_checks_of(const struct cfg_device *dev, size_t *n)
{
	return cfg_device_list(dev, "tcp", n);
}
