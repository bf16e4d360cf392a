/* The suppression input (dcmon/alert.h): per device, the device or group whose failure
 * explains its alerts, as its keeper (the facility) last wrote it.  The engine only
 * reads it. */
#include "alert_int.h"

#include <stdlib.h>

struct alert_suppression {
	struct smap causes; /* device -> cause; neither string owned */
};

struct alert_suppression *alert_suppression_new(void)
{
	return calloc(1, sizeof(struct alert_suppression));
}

void alert_suppression_free(struct alert_suppression *s)
{
	if (!s)
		return;
	smap_free(&s->causes);
	free(s);
}

int alert_suppression_set(struct alert_suppression *s, const char *device, const char *cause)
{
	if (!cause) {
		smap_del(&s->causes, device);
		return 0;
	}
	return smap_put(&s->causes, device, (void *)cause);
}

void alert_suppression_clear(struct alert_suppression *s)
{
	smap_free(&s->causes);
}

const char *alert_suppression_of(const struct alert_suppression *s, const char *device)
{
	return s && s->causes.n ? smap_get(&s->causes, device) : NULL;
}

void alert_engine_suppression_input(struct alert_engine *e, const struct alert_suppression *s)
{
	e->supp = s;
}
