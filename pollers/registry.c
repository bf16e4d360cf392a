/* The list of every poller built in (see poller.h).  Optional backends are chosen
 * here and in CMake only. */
#include "pollers.h"

#include <stddef.h>

const struct poller_ops *const poller_registry[] = {
	&icmp_poller,
	&tcp_poller,
	&proc_poller,
	&resources_poller,
	&snmp_poller,
	&modbus_poller,
	&plugin_poller,
	&http_poller,
	NULL,
};
