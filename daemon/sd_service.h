/* systemd's service protocol (sd_notify(3)): READY once every part has started,
 * RELOADING/READY around a SIGHUP reload, STOPPING at SIGTERM, and, when the unit sets
 * WatchdogSec, a WATCHDOG ping from a timer on the loop, so that a loop stuck in a
 * callback stops the pings and systemd restarts dcmond.  Outside systemd (no
 * NOTIFY_SOCKET) every call is a no-op.  Loop thread.
 */
#ifndef DCMON_SD_SERVICE_H
#define DCMON_SD_SERVICE_H

#include <stdbool.h>

#include "dcmon/loop.h"

struct sd_service;

/* Tells systemd dcmond is ready (status: text) and starts the watchdog pings; NULL on no
 * memory (then there are no pings: systemd restarts dcmond at WatchdogSec, loudly). */
struct sd_service *sd_service_ready(struct loop *loop, const char *status);
/* A reload starts (true) or has ended (false). */
void sd_service_reloading(struct sd_service *s, bool begin, const char *status);
/* dcmond is stopping. */
void sd_service_stopping(struct sd_service *s);
/* Stops the pings; NULL is a no-op. */
void sd_service_free(struct sd_service *s);

#endif
