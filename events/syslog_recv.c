/* The syslog receiver: listeners on the loop, the per-source rate limit with its
 * "messages suppressed" notes, and the step from bytes to an event record. */
#include "syslog_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dcmon/loop.h"
#include "dcmon/strhash.h"

#define UDP_BATCH     256  /* datagrams read per wake-up: others' turn after that */
#define TICK_MS       1000
#define NOTE_SEVERITY 4    /* warning */
#define UDP_RCVBUF    (4 << 20) /* bytes: a burst waits in the kernel, not dropped there */

static const char *const transport_names[] = {"udp", "tcp", "tls", NULL};

/* ---- sources and the rate limit ------------------------------------------------------ */

static void sources_clear(struct syslogd *s)
{
	for (size_t i = 0; i < 2 * SYSLOG_SOURCES_MAX; i++) {
		free(s->srcs[i]);
		s->srcs[i] = NULL;
	}
	s->nsrcs = 0;
	s->dirty = NULL;
}

/* A "N messages suppressed" event for each source the limit held back since the last
 * tick: nothing is dropped without a trace in the store. */
static void notes_flush(struct syslogd *s)
{
	char text[160];

	for (struct syslog_src *src = s->dirty; src; src = src->dirty_next) {
		snprintf(text, sizeof(text), "%llu messages suppressed: over source_rate %d/s",
			 (unsigned long long)src->suppressed, s->source_rate);
		struct event ev = {.received_ms = clock_wall_ms(), .kind = EVENT_SYSLOG,
				   .source = src->addr, .facility = -1, .severity = NOTE_SEVERITY,
				   .program = "dcmond", .message = text, .flags = EVENT_F_SUPPRESSED};
		event_set_device(&ev, s->cfg, src->dev);
		event_store_add(s->store, &ev);
		log_warnx("syslog", src->dev ? src->dev->id : NULL, "%s from %s", text, src->addr);
		src->suppressed = 0;
		src->dirty = false;
	}
	s->dirty = NULL;
}

static struct syslog_src *source_get(struct syslogd *s, const char *addr)
{
	size_t mask = 2 * SYSLOG_SOURCES_MAX - 1, i = strhash(addr) & mask;

	for (; s->srcs[i]; i = (i + 1) & mask)
		if (strcmp(s->srcs[i]->addr, addr) == 0)
			return s->srcs[i];
	if (s->nsrcs == SYSLOG_SOURCES_MAX) { /* many senders: start the table anew */
		notes_flush(s);
		sources_clear(s);
		return source_get(s, addr);
	}
	struct syslog_src *src = calloc(1, sizeof(*src));
	if (!src)
		return NULL;
	snprintf(src->addr, sizeof(src->addr), "%s", addr);
	src->dev = event_devmap_find(s->map, addr);
	s->srcs[i] = src;
	s->nsrcs++;
	return src;
}

/* True if src may send one more message in this second. */
static bool admit(struct syslogd *s, struct syslog_src *src)
{
	int64_t sec = loop_now_ms(s->loop) / 1000;

	if (src->sec != sec) {
		src->sec = sec;
		src->count = 0;
	}
	if (src->count < (uint32_t)s->source_rate) {
		src->count++;
		return true;
	}
	src->suppressed++;
	s->st.suppressed++;
	if (!src->dirty) {
		src->dirty = true;
		src->dirty_next = s->dirty;
		s->dirty = src;
	}
	return false;
}

/* ---- messages to events -------------------------------------------------------------- */

static void count_flags(struct syslogd *s, unsigned flags)
{
	s->st.parse_errors += (flags & EVENT_F_PARSE_ERROR) != 0;
	s->st.unknown_source += (flags & EVENT_F_UNKNOWN_SOURCE) != 0;
	s->st.truncated += (flags & EVENT_F_TRUNCATED) != 0;
}

void syslogd_take(struct syslogd *s, const char *src_addr, const char *data, size_t len,
		  unsigned flags)
{
	struct syslog_src *src = source_get(s, src_addr);
	struct syslog_msg m;
	struct event_field fields[EVENT_FIELDS_MAX + 1];

	s->st.received++;
	if (src && !admit(s, src))
		return;
	syslog_parse(data, len, clock_wall_ms(), &m, s->scratch, s->scratch_len);
	memcpy(fields, m.fields, m.nfields * sizeof(fields[0]));
	size_t nf = m.nfields;
	if (m.procid)
		fields[nf++] = (struct event_field){"procid", m.procid};
	struct event ev = {.received_ms = clock_wall_ms(), .reported_ms = m.reported_ms,
			   .kind = EVENT_SYSLOG, .source = src_addr, .host = m.host,
			   .facility = m.facility, .severity = m.severity, .program = m.app,
			   .msgid = m.msgid, .message = m.msg, .fields = fields, .nfields = nf,
			   .flags = m.flags | flags};
	/* the host name first: through a relay (rsyslogd) the address is the relay's */
	const struct cfg_device *dev = event_devmap_find(s->map, m.host);
	if (!dev && src)
		dev = src->dev;
	event_set_device(&ev, s->cfg, dev);
	if (ev.flags & (EVENT_F_PARSE_ERROR | EVENT_F_BAD_UTF8 | EVENT_F_TRUNCATED)) {
		ev.raw = data; /* the bytes as they came, for whoever must see them */
		ev.raw_len = len;
	}
	count_flags(s, ev.flags);
	log_rules_apply(s->rules, &ev, ev.received_ms);
	syslog_logins_apply(s->logins, s->rules, &ev, dev, s->window_fn, s->window_arg,
			    ev.received_ms);
	event_store_add(s->store, &ev);
}

/* ---- UDP ------------------------------------------------------------------------------ */

void syslog_addr_text(const struct sockaddr_storage *sa, char *buf, size_t len)
{
	buf[0] = '\0';
	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)len);
}

/* The kernel's count of datagrams it dropped on a full buffer (SO_RXQ_OVFL), from a
 * datagram's control data; -1 when absent. */
static int64_t kernel_drops(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			uint32_t v;
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v;
		}
	}
	return -1;
}

/* What the kernel dropped since the last datagram is stored as one event (and said),
 * since no sender address is known for it. */
static void note_kernel_drops(struct syslogd *s, int64_t total)
{
	char text[160];

	if (total < 0 || (uint64_t)total <= s->udp_drops)
		return;
	uint64_t n = (uint64_t)total - s->udp_drops;
	s->udp_drops = (uint64_t)total;
	s->st.kernel_dropped += n;
	snprintf(text, sizeof(text), "%llu datagrams dropped by the kernel: the UDP receive "
		 "buffer was full", (unsigned long long)n);
	struct event ev = {.received_ms = clock_wall_ms(), .kind = EVENT_SYSLOG, .source = "dcmond",
			   .facility = -1, .severity = NOTE_SEVERITY, .program = "dcmond",
			   .message = text, .flags = EVENT_F_SUPPRESSED};
	event_store_add(s->store, &ev);
	log_warnx("syslog", NULL, "%s", text);
}

static void on_udp(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct syslogd *s = arg;
	char addr[SYSLOG_ADDR_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctl;

	for (int i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_storage sa;
		struct iovec iov = {s->dgram, (size_t)s->max_message};
		struct msghdr mh = {.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = ctl.buf,
				    .msg_controllen = sizeof(ctl.buf)};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			break;
		note_kernel_drops(s, kernel_drops(&mh));
		syslog_addr_text(&sa, addr, sizeof(addr));
		syslogd_take(s, addr, s->dgram, (size_t)n,
			     (mh.msg_flags & MSG_TRUNC) ? EVENT_F_TRUNCATED : 0);
	}
	log_rules_flush(s->rules);
}

/* ---- listeners ------------------------------------------------------------------------- */

static void on_listener(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct syslogd *s = arg;
	syslog_conn_accept(s, fd, fd == s->fds[SYSLOG_TLS]);
}

static int bound_port(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	return ntohs(sa.ss_family == AF_INET ? ((struct sockaddr_in *)&sa)->sin_port
					     : ((struct sockaddr_in6 *)&sa)->sin6_port);
}

/* A non-blocking socket bound to listen:port (listening when a stream). */
static int open_listener(const char *listen_addr, int port, int type, char *err, size_t errlen)
{
	struct sockaddr_storage sa = {0};
	socklen_t salen;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&sa;
	int one = 1;

	if (inet_pton(AF_INET, listen_addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET, a4->sin_port = htons((uint16_t)port), salen = sizeof(*a4);
	} else if (inet_pton(AF_INET6, listen_addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6, a6->sin6_port = htons((uint16_t)port), salen = sizeof(*a6);
	} else {
		snprintf(err, errlen, "syslog: listen: not a numeric address: %s", listen_addr);
		return -1;
	}
	int fd = socket(sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, salen) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0)) {
		snprintf(err, errlen, "syslog: cannot listen on %s %s:%d: %s",
			 type == SOCK_STREAM ? "tcp" : "udp", listen_addr, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int start_listener(struct syslogd *s, const struct cfg_syslog *c, enum syslog_transport t,
			  int port, char *err, size_t errlen)
{
	if (!port)
		return 0;
	int fd = open_listener(c->listen, port, t == SYSLOG_UDP ? SOCK_DGRAM : SOCK_STREAM, err,
			       errlen);
	if (fd < 0)
		return -1;
	if (t == SYSLOG_UDP) { /* beyond rmem_max while root; else what the kernel allows */
		int size = UDP_RCVBUF;
		int one = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)); /* drops counted */
	}
	s->fds[t] = fd;
	s->ports[t] = bound_port(fd);
	if (loop_io_add(s->loop, fd, LOOP_READ, t == SYSLOG_UDP ? on_udp : on_listener, s) < 0) {
		snprintf(err, errlen, "syslog: cannot watch the %s socket", transport_names[t]);
		return -1;
	}
	log_info("syslog", NULL, "listening on %s %s:%d", transport_names[t], c->listen,
		 s->ports[t]);
	return 0;
}

static void on_tick(struct loop *loop, void *arg)
{
	struct syslogd *s = arg;

	notes_flush(s);
	log_rules_tick(s->rules, clock_wall_ms());
	syslog_conn_expire(s, loop_now_ms(loop));
	s->tick = loop_timer_add(loop, TICK_MS, on_tick, s);
}

/* ---- life cycle ------------------------------------------------------------------------- */

static int buffers_new(struct syslogd *s)
{
	s->scratch_len = SYSLOG_SCRATCH(s->max_message);
	s->scratch = malloc(s->scratch_len);
	s->dgram = malloc((size_t)s->max_message + 1);
	s->srcs = calloc(2 * SYSLOG_SOURCES_MAX, sizeof(*s->srcs));
	return s->scratch && s->dgram && s->srcs ? 0 : -ENOMEM;
}

struct syslogd *syslogd_new(struct loop *loop, const struct cfg_syslog *c, const struct cfg *cfg,
			    struct event_store *store, struct metric_reg *reg, char *err,
			    size_t errlen)
{
	struct syslogd *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "syslog: out of memory");
		return NULL;
	}
	*s = (struct syslogd){.loop = loop, .store = store, .cfg = cfg, .reg = reg,
			      .max_message = c->max_message, .source_rate = c->source_rate,
			      .max_connections = c->max_connections,
			      .idle_timeout_ms = c->idle_timeout_ms,
			      .fds = {-1, -1, -1}, .ports = {-1, -1, -1}};
	if (buffers_new(s) < 0 || !(s->map = event_devmap_new(cfg))) {
		snprintf(err, errlen, "syslog: out of memory");
		goto fail;
	}
	if (c->tls_port && !(s->tls = syslog_tls_new(c, err, errlen)))
		goto fail;
	err[0] = '\0';
	if (reg && !(s->rules = log_rules_new(c, reg, err, errlen)) && err[0])
		goto fail;
	if (reg && !(s->logins = syslog_logins_new(c->logins, err, errlen)) && err[0])
		goto fail;
	if (start_listener(s, c, SYSLOG_UDP, c->udp_port, err, errlen) < 0 ||
	    start_listener(s, c, SYSLOG_TCP, c->tcp_port, err, errlen) < 0 ||
	    start_listener(s, c, SYSLOG_TLS, c->tls_port, err, errlen) < 0)
		goto fail;
	s->tick = loop_timer_add(loop, TICK_MS, on_tick, s);
	return s;
fail:
	syslogd_free(s);
	return NULL;
}

void syslogd_reload(struct syslogd *s, const struct cfg *cfg)
{
	struct event_devmap *map = event_devmap_new(cfg);

	if (!s || !map) {
		event_devmap_free(map);
		return;
	}
	notes_flush(s);
	sources_clear(s); /* their devices were the old config's */
	event_devmap_free(s->map);
	s->map = map;
	s->cfg = cfg;
	/* the rules borrow the old config's section and its devices' metrics: anew */
	char err[256] = "";
	log_rules_free(s->rules);
	syslog_logins_free(s->logins);
	const struct cfg_syslog *c = syslog_cfg_of(cfg);
	s->rules = c ? log_rules_new(c, s->reg, err, sizeof(err)) : NULL;
	if (err[0])
		log_warnx("syslog", NULL, "log rules not reloaded: %s", err);
	s->logins = c && s->reg ? syslog_logins_new(c->logins, err, sizeof(err)) : NULL;
}

void syslogd_apply_rules(struct syslogd *s, const struct event *ev)
{
	if (!s)
		return;
	log_rules_apply(s->rules, ev, ev->received_ms);
	log_rules_flush(s->rules); /* a trap is a batch of its own: reported now, not at the tick */
}

void syslogd_set_windows(struct syslogd *s, syslog_window_fn fn, void *arg)
{
	if (!s)
		return;
	s->window_fn = fn;
	s->window_arg = arg;
}

void syslogd_free(struct syslogd *s)
{
	if (!s)
		return;
	syslog_conn_close_all(s);
	if (s->srcs) {
		notes_flush(s);
		sources_clear(s);
	}
	for (int t = 0; t < SYSLOG_TRANSPORTS; t++) {
		if (s->fds[t] < 0)
			continue;
		loop_io_del(s->loop, s->fds[t]);
		close(s->fds[t]);
	}
	loop_timer_cancel(s->loop, s->tick);
	SSL_CTX_free(s->tls);
	log_rules_free(s->rules);
	syslog_logins_free(s->logins);
	event_devmap_free(s->map);
	free(s->srcs);
	free(s->scratch);
	free(s->dgram);
	free(s);
}

int syslogd_port(const struct syslogd *s, const char *transport)
{
	for (int t = 0; s && t < SYSLOG_TRANSPORTS; t++)
		if (strcmp(transport_names[t], transport) == 0)
			return s->ports[t];
	return -1;
}

void syslogd_get_stats(const struct syslogd *s, struct syslogd_stats *st)
{
	*st = s->st;
}
