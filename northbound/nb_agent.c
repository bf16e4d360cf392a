/* The AgentX subagent (net-snmp's agent library) on a thread of its own.
 *
 * The thread owns every exchange with the master agent: it connects (and reconnects
 * every second while the master is away: the library's AgentX ping), registers
 * dcmonObjects, and answers GET and GETNEXT (GETBULK through the library's
 * bulk-to-next helper) from the view the loop last published.  The loop only swaps the
 * view under a mutex that the thread holds for the lookups of one request, so however
 * slow or absent the master is, the loop never waits on it.
 *
 * The thread sleeps in select() on net-snmp's sockets and a pipe by which nb_agent_stop
 * wakes it.  net-snmp's agent library is set up once per process (init_agent): the
 * subagent is started once, and its socket is read at that time. */
#include "nb_int.h"

#include <errno.h>
#include <fcntl.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/library/large_fd_set.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/log.h"

/* net-snmp's agentx/subagent.c: connects now, or sets the reconnecting ping up (the
 * library calls it after reading its configuration, which ours did before the
 * subagent existed). */
int subagent_startup(int majorID, int minorID, void *serverarg, void *clientarg);

#define AGENTX_PING_S 1 /* seconds between attempts to reach an absent master */

struct nb_agent {
	pthread_t thread;
	int wake[2];            /* nb_agent_stop writes, the thread wakes */
	atomic_bool stop;
	pthread_mutex_t mu;     /* guards view */
	struct nb_view *view;
	char *socket;
};

static atomic_bool agent_started; /* net-snmp's agent library is set up once */

static int on_request(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
		      netsnmp_agent_request_info *ri, netsnmp_request_info *r)
{
	struct nb_agent *a = h->myvoid;
	(void)reg;
	if (ri->mode != MODE_GET && ri->mode != MODE_GETNEXT)
		return SNMP_ERR_NOERROR;
	pthread_mutex_lock(&a->mu);
	for (; r; r = r->next) {
		netsnmp_variable_list *v = r->requestvb;
		uint32_t name[MAX_OID_LEN];
		size_t len = v->name_length < MAX_OID_LEN ? v->name_length : MAX_OID_LEN;
		if (r->processed)
			continue;
		for (size_t i = 0; i < len; i++)
			name[i] = (uint32_t)v->name[i];
		const struct nb_vb *vb = nb_view_find(a->view, name, len, ri->mode == MODE_GETNEXT);
		if (!vb) {
			if (ri->mode == MODE_GET)
				netsnmp_set_request_error(ri, r, SNMP_NOSUCHINSTANCE);
			continue; /* GETNEXT past our objects: the next registration's, or the end */
		}
		if (ri->mode == MODE_GETNEXT) {
			oid next[NB_OID_MAX];
			for (size_t i = 0; i < vb->len; i++)
				next[i] = vb->name[i];
			snmp_set_var_objid(v, next, vb->len);
		}
		if (vb->type == ASN_OCTET_STR)
			snmp_set_var_typed_value(v, vb->type, vb->str, strlen(vb->str));
		else
			snmp_set_var_typed_value(v, vb->type, &vb->num, sizeof(vb->num));
	}
	pthread_mutex_unlock(&a->mu);
	return SNMP_ERR_NOERROR;
}

static int agent_register(struct nb_agent *a)
{
	static const oid objects[] = {NB_MIB_OID, 1};
	netsnmp_handler_registration *reg = netsnmp_create_handler_registration(
	    "dcmonObjects", on_request, objects, OID_LENGTH(objects), HANDLER_CAN_RONLY);
	if (!reg)
		return -ENOMEM;
	reg->handler->myvoid = a;
	return netsnmp_register_handler(reg) == MIB_REGISTERED_OK ? 0 : -EIO;
}

/* One turn of the subagent: waits for the master, a timeout or the wake-up pipe. */
static void agent_turn(struct nb_agent *a)
{
	netsnmp_large_fd_set fds;
	int numfds = 0, block = 0;
	struct timeval tv = {.tv_sec = 1};
	netsnmp_large_fd_set_init(&fds, a->wake[0] + 1 > FD_SETSIZE ? a->wake[0] + 1 : FD_SETSIZE);
	snmp_select_info2(&numfds, &fds, &tv, &block);
	NETSNMP_LARGE_FD_SET(a->wake[0], &fds);
	if (a->wake[0] >= numfds)
		numfds = a->wake[0] + 1;
	int n = netsnmp_large_fd_set_select(numfds, &fds, NULL, NULL, block ? NULL : &tv);
	if (n > 0) {
		char drain[16];
		if (NETSNMP_LARGE_FD_ISSET(a->wake[0], &fds)) {
			ssize_t r = read(a->wake[0], drain, sizeof(drain)); /* the stop flag tells */
			(void)r;
		}
		snmp_read2(&fds);
	} else if (n == 0) {
		snmp_timeout();
	}
	run_alarms();
	netsnmp_check_outstanding_agent_requests();
	netsnmp_large_fd_set_cleanup(&fds);
}

/* net-snmp's agent library, on the loop thread (its setup touches what the pollers'
 * net-snmp uses there): a subagent of the master at a->socket, with dcmonObjects. */
static void agent_setup(struct nb_agent *a)
{
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, a->socket);
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   AGENTX_PING_S);
	init_agent("dcmond");
	if (agent_register(a) < 0)
		log_warnx("snmp_nb", NULL, "agentx: cannot register dcmonObjects: the tables are "
			  "not served");
}

/* The thread: connects (a TCP master may take long to answer) and serves. */
static void *agent_main(void *arg)
{
	struct nb_agent *a = arg;
	subagent_startup(0, 0, NULL, NULL);
	while (!atomic_load(&a->stop))
		agent_turn(a);
	return NULL;
}

struct nb_agent *nb_agent_start(const char *socket, char *err, size_t errlen)
{
	if (atomic_exchange(&agent_started, true)) {
		snprintf(err, errlen, "agentx: the subagent runs once per process (restart "
			 "dcmond for a new agentx: socket)");
		return NULL;
	}
	struct nb_agent *a = calloc(1, sizeof(*a));
	if (!a || !(a->socket = strdup(socket))) {
		free(a);
		snprintf(err, errlen, "agentx: out of memory");
		return NULL;
	}
	pthread_mutex_init(&a->mu, NULL);
	agent_setup(a);
	log_info("snmp_nb", NULL, "agentx: subagent of the master agent at %s", a->socket);
	if (pipe2(a->wake, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pthread_create(&a->thread, NULL, agent_main, a) != 0) {
		snprintf(err, errlen, "agentx: cannot start the subagent: %s", strerror(errno));
		if (a->wake[0] > 0) {
			close(a->wake[0]);
			close(a->wake[1]);
		}
		pthread_mutex_destroy(&a->mu);
		free(a->socket);
		free(a);
		return NULL;
	}
	return a;
}

void nb_agent_publish(struct nb_agent *a, struct nb_view *v)
{
	pthread_mutex_lock(&a->mu);
	struct nb_view *old = a->view;
	a->view = v;
	pthread_mutex_unlock(&a->mu);
	nb_view_free(old);
}

void nb_agent_stop(struct nb_agent *a)
{
	if (!a)
		return;
	atomic_store(&a->stop, true);
	if (write(a->wake[1], "x", 1) < 0)
		log_warnx("snmp_nb", NULL, "agentx: cannot wake the subagent: %s", strerror(errno));
	pthread_join(a->thread, NULL);
	close(a->wake[0]);
	close(a->wake[1]);
	pthread_mutex_destroy(&a->mu);
	nb_view_free(a->view);
	free(a->socket);
	free(a);
}
