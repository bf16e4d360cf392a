/* The shared ICMP echo sockets; see icmp_sock.h. */
#include "icmp_sock.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "dcmon/poller.h"
#include "pollutil.h"

#define ICMP_BUCKETS     256  /* outstanding-table buckets, by sequence number */
#define ICMP_HDR_LEN     8    /* echo header: type, code, checksum, id, seq (bytes) */
#define ICMP_PAYLOAD_MAX 1472 /* bytes */
#define ICMP_RECV_BURST  256  /* datagrams read per wakeup, bounds one callback */
#define ICMP_BUF_LEN     2048 /* receive buffer, bytes: > IP header + 1500 */
#define IP4_HDR_MIN      20   /* bytes */
#define IP6_HDR_LEN      40   /* bytes */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* SOL_RAW option of linux/icmp.h (header clashes with netinet) */
#endif

/* One address family's socket. */
struct icmp_fam {
	int fd;      /* -1 when closed */
	bool raw;    /* SOCK_RAW (sees the IPv4 header and every host's ICMP) */
	int family;  /* AF_INET or AF_INET6 */
};

static struct {
	struct loop *loop;
	int refs;
	uint16_t ident;    /* echo identifier checked on raw sockets */
	uint16_t next_seq; /* global sequence counter */
	struct icmp_fam v4, v6;
	struct icmp_probe *table[ICMP_BUCKETS];
} icmp = {
	.v4 = {.fd = -1, .family = AF_INET},
	.v6 = {.fd = -1, .family = AF_INET6},
};

/* ---- outstanding probes ------------------------------------------------------ */

static struct icmp_probe **bucket(uint16_t seq)
{
	return &icmp.table[seq % ICMP_BUCKETS];
}

static bool seq_in_use(uint16_t seq)
{
	for (struct icmp_probe *p = *bucket(seq); p != NULL; p = p->hnext)
		if (p->seq == seq)
			return true;
	return false;
}

/* Next free sequence number; wraps at 65536. */
static uint16_t seq_alloc(void)
{
	for (int i = 0; i < 65536; i++) {
		uint16_t s = icmp.next_seq++;
		if (!seq_in_use(s))
			return s;
	}
	return icmp.next_seq++;
}

/* True if a and b hold the same IP address (ports ignored). */
static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

void icmp_sock_forget(struct icmp_probe *p)
{
	if (!p->pending)
		return;
	for (struct icmp_probe **pp = bucket(p->seq); *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == p) {
			*pp = p->hnext;
			break;
		}
	}
	p->pending = false;
	p->hnext = NULL;
}

/* Ends the probe with this sequence number sent to `from`, if any. */
static void probe_end(uint16_t seq, const struct sockaddr_storage *from, int err)
{
	struct icmp_probe *p = *bucket(seq);

	while (p != NULL && !(p->seq == seq && same_addr(&p->dst, from)))
		p = p->hnext;
	if (p == NULL)
		return;
	icmp_sock_forget(p);
	p->rtt_s = pollutil_mono_s() - p->sent_s;
	p->cb(p, err);
}

/* ---- parsing what arrives ---------------------------------------------------- */

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)((b[0] << 8) | b[1]);
}

/* errno for an ICMPv4 destination-unreachable code (as the kernel maps them). */
static int icmp4_errno(int type, int code)
{
	if (type != ICMP_DEST_UNREACH)
		return EHOSTUNREACH; /* time exceeded */
	switch (code) {
	case ICMP_NET_UNREACH: case ICMP_NET_UNKNOWN: case ICMP_NET_ANO: case ICMP_NET_UNR_TOS:
		return ENETUNREACH;
	case ICMP_FRAG_NEEDED:
		return EMSGSIZE;
	default:
		return EHOSTUNREACH;
	}
}

static int icmp6_errno(int type, int code)
{
	if (type != ICMP6_DST_UNREACH)
		return EHOSTUNREACH;
	switch (code) {
	case ICMP6_DST_UNREACH_NOROUTE:
		return ENETUNREACH;
	case ICMP6_DST_UNREACH_ADMIN:
		return EACCES;
	default:
		return EHOSTUNREACH;
	}
}

/* An ICMPv4 error quoting one of our requests: inner IP header + 8 bytes. */
static void parse_error4(const uint8_t *p, size_t len)
{
	struct sockaddr_storage dst = {.ss_family = AF_INET};
	const uint8_t *in = p + ICMP_HDR_LEN;
	size_t inlen = len - ICMP_HDR_LEN, ihl;

	if (inlen < IP4_HDR_MIN)
		return;
	ihl = (size_t)(in[0] & 0x0f) * 4;
	if (ihl < IP4_HDR_MIN || inlen < ihl + ICMP_HDR_LEN || in[9] != IPPROTO_ICMP)
		return;
	if (in[ihl] != ICMP_ECHO || get16(in + ihl + 4) != icmp.ident)
		return;
	memcpy(&((struct sockaddr_in *)&dst)->sin_addr, in + 16, 4);
	probe_end(get16(in + ihl + 6), &dst, icmp4_errno(p[0], p[1]));
}

/* An ICMPv6 error quoting one of our requests: inner IPv6 header + 8 bytes. */
static void parse_error6(const uint8_t *p, size_t len)
{
	struct sockaddr_storage dst = {.ss_family = AF_INET6};
	const uint8_t *in = p + ICMP_HDR_LEN;
	size_t inlen = len - ICMP_HDR_LEN;

	if (inlen < IP6_HDR_LEN + ICMP_HDR_LEN || in[6] != IPPROTO_ICMPV6)
		return;
	in += IP6_HDR_LEN;
	if (in[0] != ICMP6_ECHO_REQUEST || get16(in + 4) != icmp.ident)
		return;
	memcpy(&((struct sockaddr_in6 *)&dst)->sin6_addr, p + ICMP_HDR_LEN + 24, 16);
	probe_end(get16(in + 6), &dst, icmp6_errno(p[0], p[1]));
}

/* One datagram read from a family's socket. */
static void parse_packet(const struct icmp_fam *f, const uint8_t *p, size_t len,
			 const struct sockaddr_storage *from)
{
	bool v4 = f->family == AF_INET;

	if (v4 && f->raw) { /* raw IPv4 sockets deliver the IP header */
		size_t ihl = len >= IP4_HDR_MIN ? (size_t)(p[0] & 0x0f) * 4 : 0;
		if (ihl < IP4_HDR_MIN || ihl > len)
			return;
		p += ihl;
		len -= ihl;
	}
	if (len < ICMP_HDR_LEN)
		return;
	if (p[0] == (v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY)) {
		if (!f->raw || get16(p + 4) == icmp.ident)
			probe_end(get16(p + 6), from, 0);
	} else if (f->raw && v4 && (p[0] == ICMP_DEST_UNREACH || p[0] == ICMP_TIME_EXCEEDED)) {
		parse_error4(p, len);
	} else if (f->raw && !v4 && (p[0] == ICMP6_DST_UNREACH || p[0] == ICMP6_TIME_EXCEEDED)) {
		parse_error6(p, len);
	}
}

/* The extended error of an error-queue message, or NULL. */
static const struct sock_extended_err *find_ee(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR))
			return (const struct sock_extended_err *)CMSG_DATA(c);
	}
	return NULL;
}

/* Datagram sockets get ICMP errors through the error queue (IP_RECVERR): the data is
 * our request, msg_name its destination. */
static void drain_errqueue(const struct icmp_fam *f)
{
	for (int i = 0; i < ICMP_RECV_BURST; i++) {
		uint8_t data[ICMP_HDR_LEN + 64];
		char ctrl[512];
		struct sockaddr_storage dst;
		struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
		struct msghdr msg = {.msg_name = &dst, .msg_namelen = sizeof(dst),
				     .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctrl, .msg_controllen = sizeof(ctrl)};
		const struct sock_extended_err *ee;
		ssize_t n = recvmsg(f->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);

		if (n < 0)
			return;
		ee = find_ee(&msg);
		if (ee == NULL || n < ICMP_HDR_LEN || ee->ee_errno == 0)
			continue;
		if (ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6 ||
		    ee->ee_origin == SO_EE_ORIGIN_LOCAL)
			probe_end(get16(data + 6), &dst, (int)ee->ee_errno);
	}
}

static void on_readable(struct loop *loop, int fd, unsigned events, void *arg)
{
	const struct icmp_fam *f = arg;

	if (!f->raw)
		drain_errqueue(f);
	for (int i = 0; i < ICMP_RECV_BURST; i++) {
		uint8_t buf[ICMP_BUF_LEN];
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n >= 0)
			parse_packet(f, buf, (size_t)n, &from);
		/* other errors: a pending socket error reported once; keep reading */
	}
}

/* ---- sockets ------------------------------------------------------------------ */

/* Filters, error reporting; failures only cost efficiency, so they are ignored. */
static void fam_setup(const struct icmp_fam *f, int fd)
{
	int on = 1;

	if (f->family == AF_INET && f->raw) {
		uint32_t block = ~((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) |
				   (1u << ICMP_TIME_EXCEEDED));
		(void)setsockopt(fd, SOL_RAW, ICMP_FILTER, &block, sizeof(block));
	} else if (f->family == AF_INET) {
		(void)setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof(on));
	} else if (f->raw) {
		struct icmp6_filter filt;
		ICMP6_FILTER_SETBLOCKALL(&filt);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filt);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &filt);
		(void)setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt));
	} else {
		(void)setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof(on));
	}
}

/* Opens the family's socket: datagram if allowed, raw otherwise.  0 or -errno. */
static int fam_open(struct icmp_fam *f)
{
	int proto = f->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd, rc;

	f->raw = false;
	fd = socket(f->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		f->raw = true;
		fd = socket(f->family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	}
	if (fd < 0)
		return -errno;
	fam_setup(f, fd);
	rc = loop_io_add(icmp.loop, fd, LOOP_READ, on_readable, f);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	f->fd = fd;
	return 0;
}

static void fam_close(struct icmp_fam *f)
{
	if (f->fd < 0)
		return;
	loop_io_del(icmp.loop, f->fd);
	close(f->fd);
	f->fd = -1;
}

int icmp_sock_acquire(struct loop *loop)
{
	if (icmp.refs > 0 && icmp.loop != loop)
		return -EBUSY;
	if (icmp.refs++ == 0) {
		uint16_t r;
		icmp.loop = loop;
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
			r = (uint16_t)getpid();
		icmp.ident = r;
		icmp.next_seq = (uint16_t)(r * 31u);
	}
	return 0;
}

void icmp_sock_release(void)
{
	if (icmp.refs == 0 || --icmp.refs > 0)
		return;
	fam_close(&icmp.v4);
	fam_close(&icmp.v6);
	memset(icmp.table, 0, sizeof(icmp.table));
	icmp.loop = NULL;
}

int icmp_sock_access(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	int raw = 0;

	if (fd < 0) {
		raw = 1;
		fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	}
	if (fd < 0)
		return -errno;
	close(fd);
	return raw;
}

int icmp_sock_is_raw(int family)
{
	const struct icmp_fam *f = family == AF_INET ? &icmp.v4 : &icmp.v6;

	return f->fd < 0 ? -1 : f->raw;
}

/* RFC 1071 Internet checksum. */
static uint16_t inet_cksum(const uint8_t *b, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(b + i);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Writes an echo request with `payload` pattern bytes into pkt; returns its length.
 * The kernel computes ICMPv6 checksums itself. */
static size_t build_echo(uint8_t *pkt, bool v4, uint16_t seq, int payload)
{
	size_t len = ICMP_HDR_LEN + (size_t)payload;
	uint16_t ck;

	memset(pkt, 0, ICMP_HDR_LEN);
	pkt[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt[4] = (uint8_t)(icmp.ident >> 8);
	pkt[5] = (uint8_t)icmp.ident;
	pkt[6] = (uint8_t)(seq >> 8);
	pkt[7] = (uint8_t)seq;
	for (int i = 0; i < payload; i++)
		pkt[ICMP_HDR_LEN + i] = (uint8_t)i;
	if (v4) {
		ck = inet_cksum(pkt, len);
		pkt[2] = (uint8_t)(ck >> 8);
		pkt[3] = (uint8_t)ck;
	}
	return len;
}

int icmp_sock_send(struct icmp_probe *p, const struct sockaddr *dst, socklen_t dstlen,
		   int payload)
{
	uint8_t pkt[ICMP_HDR_LEN + ICMP_PAYLOAD_MAX];
	struct icmp_fam *f;
	size_t len;
	int rc;

	if (dst->sa_family != AF_INET && dst->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (icmp.refs == 0 || dstlen > sizeof(p->dst))
		return -EINVAL;
	f = dst->sa_family == AF_INET ? &icmp.v4 : &icmp.v6;
	if (f->fd < 0 && (rc = fam_open(f)) < 0)
		return rc;
	payload = payload < 0 ? 0 : payload > ICMP_PAYLOAD_MAX ? ICMP_PAYLOAD_MAX : payload;
	p->seq = seq_alloc();
	len = build_echo(pkt, f->family == AF_INET, p->seq, payload);
	memset(&p->dst, 0, sizeof(p->dst));
	memcpy(&p->dst, dst, dstlen);
	p->sent_s = pollutil_mono_s();
	if (sendto(f->fd, pkt, len, 0, dst, dstlen) < 0)
		return -errno;
	p->pending = true;
	p->hnext = *bucket(p->seq);
	*bucket(p->seq) = p;
	return 0;
}
