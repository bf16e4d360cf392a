/* Modbus TCP networking of a simulated device: its listener and its clients, served
 * from the simulator's select() loop without ever blocking it.
 *
 * How it stays non-blocking (the loop serves every device, the physics and the control
 * socket from one thread, so one blocking call stalls the whole data center):
 *   - the listening socket and every accepted client are O_NONBLOCK; accept4() is only
 *     called when select() reported the listener readable, and a client that vanished
 *     between the two costs an EAGAIN, not a wait;
 *   - requests are framed here, not by libmodbus: modbus_receive() waits (select()
 *     with the indication and byte timeouts) until a whole request has arrived, so a
 *     client that sent half a frame would hold the loop.  Bytes are appended to a
 *     bounded per-client buffer with one recv() per round; a request is answered only
 *     once its whole MBAP frame (6 + length bytes) is buffered; a frame that cannot be
 *     Modbus (protocol id not 0, length out of 2..254) closes the client;
 *   - libmodbus only builds the answers: modbus_reply() "sends" to one end of a
 *     non-blocking SOCK_SEQPACKET socketpair, and the answer is read back from the
 *     other end into the client's bounded output buffer, written with send(MSG_DONTWAIT)
 *     when select() reports the client writable.  The response timeout is 1 us, since
 *     libmodbus sleeps that long before some exception answers (illegal quantity,
 *     unknown function);
 *   - a client that does not read its answers fills its output buffer; then its
 *     requests are left unread (TCP flow control pushes back on it), others go on.
 */
#include "sim.h"

#include <errno.h>
#include <modbus/modbus.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MBN_CLIENTS 16                      /* clients per device; more are refused */
#define MBN_ADU_MAX MODBUS_TCP_MAX_ADU_LENGTH /* 260 bytes: MBAP header + PDU */
#define MBN_IN_MAX (2 * MBN_ADU_MAX)        /* bytes of requests buffered per client */
#define MBN_OUT_MAX (8 * MBN_ADU_MAX)       /* bytes of answers buffered per client */
#define MBN_ACCEPTS_PER_ROUND 8

struct mbn_client {
	int fd;                    /* -1 = free slot */
	uint8_t in[MBN_IN_MAX];    /* received, not yet answered */
	size_t nin;                /* bytes in `in` */
	uint8_t out[MBN_OUT_MAX];  /* answers not yet sent */
	size_t nout;               /* bytes in `out` */
};

struct sim_mbnet {
	int lfd;                   /* listening socket */
	int pair[2];               /* [0]: libmodbus sends answers here; [1]: we read them */
	modbus_t *ctx;             /* builds the answers (never touches a client socket) */
	struct mbn_client cl[MBN_CLIENTS];
};

int sim_mbnet_open(struct sim_mbnet **out, const char *host, int port, char *err, size_t len)
{
	struct sim_mbnet *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->lfd = n->pair[0] = n->pair[1] = -1;
	for (int c = 0; c < MBN_CLIENTS; c++)
		n->cl[c].fd = -1;
	*out = n;
	n->ctx = modbus_new_tcp(host, port);
	if (!n->ctx ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, n->pair) < 0) {
		snprintf(err, len, "cannot set up the Modbus server: %s", strerror(errno));
		return -ENOMEM;
	}
	modbus_set_response_timeout(n->ctx, 0, 1);
	modbus_set_socket(n->ctx, n->pair[0]);
	n->lfd = sim_tcp_listen(host, port, 16);
	if (n->lfd < 0) {
		snprintf(err, len, "cannot listen on %s:%d: %s", host, port, strerror(-n->lfd));
		return n->lfd;
	}
	return 0;
}

static void client_close(struct mbn_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->nin = c->nout = 0;
}

void sim_mbnet_close(struct sim_mbnet *n)
{
	if (!n)
		return;
	for (int c = 0; c < MBN_CLIENTS; c++)
		client_close(&n->cl[c]);
	if (n->ctx) {
		modbus_set_socket(n->ctx, -1);
		modbus_free(n->ctx);
	}
	for (int i = 0; i < 2; i++)
		if (n->pair[i] >= 0)
			close(n->pair[i]);
	if (n->lfd >= 0)
		close(n->lfd);
	free(n);
}

static bool out_has_room(const struct mbn_client *c)
{
	return sizeof(c->out) - c->nout >= MBN_ADU_MAX;
}

void sim_mbnet_fds(const struct sim_mbnet *n, fd_set *rset, fd_set *wset, int *maxfd)
{
	if (!n)
		return;
	sim_fd_add(n->lfd, rset, maxfd);
	for (int i = 0; i < MBN_CLIENTS; i++) {
		const struct mbn_client *c = &n->cl[i];
		if (c->fd < 0)
			continue;
		if (out_has_room(c) && c->nin < sizeof(c->in))
			sim_fd_add(c->fd, rset, maxfd);
		if (c->nout > 0)
			sim_fd_add(c->fd, wset, maxfd);
	}
}

/* Answers one buffered frame of `flen` bytes through libmodbus and the socketpair. */
static void answer(struct sim_mbnet *n, struct mbn_client *c, size_t flen,
		   modbus_mapping_t *map)
{
	uint8_t req[MBN_ADU_MAX] = {0}; /* zero past the frame: libmodbus reads by its fields */
	memcpy(req, c->in, flen);
	if (modbus_reply(n->ctx, req, (int)flen, map) < 0)
		return;
	ssize_t r = recv(n->pair[1], c->out + c->nout, sizeof(c->out) - c->nout, MSG_DONTWAIT);
	if (r > 0)
		c->nout += (size_t)r;
}

/* Answers every whole frame buffered while there is room for the answers; false when
 * the stream is not Modbus TCP (the client is to be closed). */
static bool answer_frames(struct sim_mbnet *n, struct mbn_client *c, modbus_mapping_t *map)
{
	while (c->nin >= 7 && out_has_room(c)) {
		unsigned proto = (unsigned)c->in[2] << 8 | c->in[3];
		unsigned flen = 6 + ((unsigned)c->in[4] << 8 | c->in[5]);
		if (proto != 0 || flen < 8 || flen > MBN_ADU_MAX)
			return false;
		if (c->nin < flen)
			break; /* the rest of the frame has not arrived: answer it later */
		answer(n, c, flen, map);
		memmove(c->in, c->in + flen, c->nin - flen);
		c->nin -= flen;
	}
	return true;
}

static void client_read(struct sim_mbnet *n, struct mbn_client *c, modbus_mapping_t *map)
{
	ssize_t r = recv(c->fd, c->in + c->nin, sizeof(c->in) - c->nin, MSG_DONTWAIT);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		client_close(c); /* the client left, or the connection broke */
		return;
	}
	if (r > 0)
		c->nin += (size_t)r;
	if (!answer_frames(n, c, map))
		client_close(c);
}

static void client_write(struct sim_mbnet *n, struct mbn_client *c, modbus_mapping_t *map)
{
	ssize_t w = send(c->fd, c->out, c->nout, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		client_close(c);
		return;
	}
	if (w > 0) {
		memmove(c->out, c->out + w, c->nout - (size_t)w);
		c->nout -= (size_t)w;
	}
	if (!answer_frames(n, c, map)) /* frames held back while the buffer was full */
		client_close(c);
}

static void accept_clients(struct sim_mbnet *n)
{
	for (int k = 0; k < MBN_ACCEPTS_PER_ROUND; k++) {
		int fd = accept4(n->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN: no more pending (or the client left already) */
		int c = 0;
		while (c < MBN_CLIENTS && n->cl[c].fd >= 0)
			c++;
		if (c == MBN_CLIENTS || fd >= FD_SETSIZE) {
			close(fd); /* too many clients: a real gateway refuses too */
			continue;
		}
		n->cl[c].fd = fd;
		n->cl[c].nin = n->cl[c].nout = 0;
	}
}

void sim_mbnet_serve(struct sim_mbnet *n, const fd_set *rset, const fd_set *wset,
		     modbus_mapping_t *map)
{
	if (!n)
		return;
	for (int i = 0; i < MBN_CLIENTS; i++) {
		struct mbn_client *c = &n->cl[i];
		if (c->fd >= 0 && FD_ISSET(c->fd, wset))
			client_write(n, c, map);
		if (c->fd >= 0 && FD_ISSET(c->fd, rset))
			client_read(n, c, map);
	}
	if (FD_ISSET(n->lfd, rset))
		accept_clients(n);
}
