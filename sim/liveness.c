/* Servers' liveness: while a simulated server runs, its TCP ports accept (and get a
 * one-line banner) and its SNMP agent answers; when it stops (set DEV.up 0, power
 * lost) the ports are closed (connections refused) and the agent's transport is shut.
 * ICMP echo to 127.0.0.x is answered by the kernel whatever the simulator does, so a
 * "down" server still answers ping: closed ports and a silent agent are what change.
 */
#include "sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void sim_liveness_update(struct sim_dev *d)
{
	if (d->kind != SK_SERVER || d->running == d->serving)
		return;
	if (!d->listen_fds) {
		d->listen_fds = calloc(d->ntcp_ports ? d->ntcp_ports : 1, sizeof(int));
		if (!d->listen_fds)
			return;
		for (size_t i = 0; i < d->ntcp_ports; i++)
			d->listen_fds[i] = -1;
	}
	if (d->running) {
		for (size_t i = 0; i < d->ntcp_ports; i++) {
			d->listen_fds[i] = sim_tcp_listen(d->host, d->tcp_ports[i], 64);
			if (d->listen_fds[i] < 0)
				log_warnx("sim", d->id, "cannot listen on %s:%d: %s", d->host,
					  d->tcp_ports[i], strerror(-d->listen_fds[i]));
		}
		char err[256];
		if (sim_snmp_open(d, err, sizeof(err)) < 0)
			log_warnx("sim", d->id, "%s", err);
		log_info("sim", d->id, "server up: ports open, SNMP agent answering");
	} else {
		for (size_t i = 0; i < d->ntcp_ports; i++) {
			if (d->listen_fds[i] >= 0)
				close(d->listen_fds[i]);
			d->listen_fds[i] = -1;
		}
		sim_snmp_close(d);
		log_info("sim", d->id, "server down: ports closed, SNMP agent stopped");
	}
	d->serving = d->running;
}

void sim_liveness_fds(struct sim *s, fd_set *set, int *maxfd)
{
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		for (size_t p = 0; d->serving && d->listen_fds && p < d->ntcp_ports; p++)
			if (d->listen_fds[p] >= 0)
				sim_fd_add(d->listen_fds[p], set, maxfd);
	}
}

void sim_liveness_serve(struct sim *s, const fd_set *set)
{
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		for (size_t p = 0; d->serving && d->listen_fds && p < d->ntcp_ports; p++) {
			int lfd = d->listen_fds[p];
			if (lfd < 0 || !FD_ISSET(lfd, set))
				continue;
			for (int n = 0; n < 16; n++) { /* bounded: the rest on the next round */
				int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (c < 0)
					break;
				char banner[160];
				int len = snprintf(banner, sizeof(banner), "dcmon-sim %s\r\n", d->id);
				if (write(c, banner, (size_t)len) < 0) {
					/* the client left already: nothing to do */
				}
				close(c);
			}
		}
	}
}
