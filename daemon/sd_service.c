/* systemd's service protocol through libsystemd's sd_notify (see sd_service.h). */
#include "sd_service.h"

#include <stdint.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "dcmon/log.h"

struct sd_service {
	struct loop *loop;
	int64_t ping_ms;            /* half of WatchdogSec; 0 = no watchdog */
	struct loop_timer *timer;
};

static void on_ping(struct loop *loop, void *arg)
{
	struct sd_service *s = arg;

	sd_notify(0, "WATCHDOG=1");
	s->timer = loop_timer_add(loop, s->ping_ms, on_ping, s);
}

struct sd_service *sd_service_ready(struct loop *loop, const char *status)
{
	struct sd_service *s = calloc(1, sizeof(*s));
	uint64_t usec = 0;

	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	if (s == NULL)
		return NULL;
	s->loop = loop;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		s->ping_ms = (int64_t)(usec / 2000);
		if (s->ping_ms < 1)
			s->ping_ms = 1;
		log_info("daemon", NULL, "systemd watchdog: a ping every %lld ms",
			 (long long)s->ping_ms);
		on_ping(loop, s);
	}
	return s;
}

void sd_service_reloading(struct sd_service *s, bool begin, const char *status)
{
	if (begin)
		sd_notifyf(0, "RELOADING=1\nSTATUS=%s", status);
	else
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void sd_service_stopping(struct sd_service *s)
{
	sd_notify(0, "STOPPING=1");
}

void sd_service_free(struct sd_service *s)
{
	if (s == NULL)
		return;
	loop_timer_cancel(s->loop, s->timer);
	free(s);
}
