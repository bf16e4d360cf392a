/* Helpers shared by the host-check pollers; see pollutil.h. */
#include "pollutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dcmon/log.h"

const struct metric_enum pollutil_updown[2] = {
	{.value = 0, .name = "down"},
	{.value = 1, .name = "up"},
};

/* Maps a getaddrinfo() error to a negative errno. */
static int gai_to_errno(int rc)
{
	switch (rc) {
	case EAI_NONAME:
	case EAI_NODATA:
		return -ENOENT;
	case EAI_AGAIN:
		return -EAGAIN;
	default:
		return -EINVAL;
	}
}

int pollutil_resolve_all(const char *host, int port, struct sockaddr_storage *ss,
			 socklen_t *sslen, size_t max, size_t *n, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char service[8];
	int rc;

	*n = 0;
	if (host == NULL || *host == '\0') {
		snprintf(err, errlen, "no host");
		return -EINVAL;
	}
	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "resolve %s: %s", host, gai_strerror(rc));
		return gai_to_errno(rc);
	}
	for (const struct addrinfo *ai = res; ai && *n < max; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(*ss))
			continue;
		memset(&ss[*n], 0, sizeof(*ss));
		memcpy(&ss[*n], ai->ai_addr, ai->ai_addrlen);
		sslen[(*n)++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (*n == 0) {
		snprintf(err, errlen, "resolve %s: no usable address", host);
		return -ENOENT;
	}
	return 0;
}

int pollutil_resolve(const char *host, int port, struct sockaddr_storage *ss,
		     socklen_t *sslen, char *err, size_t errlen)
{
	size_t n;

	return pollutil_resolve_all(host, port, ss, sslen, 1, &n, err, errlen);
}

/* True if s is a numeric loopback address (127.0.0.0/8 or ::1). */
static bool is_loopback_literal(const char *s)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, s, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, s, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

bool pollutil_host_is_local(const char *host)
{
	char self[256];

	if (host == NULL || strcasecmp(host, "localhost") == 0 || is_loopback_literal(host))
		return true;
	if (gethostname(self, sizeof(self)) != 0)
		return false;
	self[sizeof(self) - 1] = '\0';
	return strcasecmp(host, self) == 0;
}

const char *pollutil_errname(int err)
{
	static _Thread_local char buf[16];
	const char *name = strerrorname_np(err);

	if (name != NULL)
		return name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

double pollutil_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct metric *pollutil_metric(const struct poller_env *env, const char *dev,
			       const struct metric_desc *desc)
{
	struct metric *m = metric_reg_get(env->reg, dev, desc);

	if (m == NULL)
		log_warn("poller", dev, "cannot register metric %s", desc->name);
	return m;
}

void pollutil_reason(char *buf, size_t len, const char *what, const char *why)
{
	if (what == NULL || *what == '\0')
		snprintf(buf, len, "%s", why);
	else
		snprintf(buf, len, "%s: %s", what, why);
}
