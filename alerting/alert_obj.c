/* Alert objects: identity, the in-memory history ring and flap bookkeeping. */
#include "alert_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct alert *alert_obj_new(const char *rule, const char *device, const char *key)
{
	struct alert *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->rule_name = strdup(rule);
	a->device = strdup(device);
	a->key = strdup(key);
	if (!a->rule_name || !a->device || !a->key ||
	    asprintf(&a->ident, "%s\n%s\n%s", rule, device, key) < 0) {
		a->ident = NULL;
		alert_obj_free(a);
		return NULL;
	}
	a->value = NAN;
	a->pub_value = NAN;
	return a;
}

void alert_obj_free(struct alert *a)
{
	if (!a)
		return;
	free(a->rule_name);
	free(a->device);
	free(a->key);
	free(a->ident);
	free(a->ack.by);
	free(a->ack.comment);
	free(a->pub_supp);
	free(a);
}

void alert_hist_push(struct alert *a, const struct alert_transition *t)
{
	if (a->nhist == ALERT_HIST_MAX) /* rare (transitions only): shift */
		memmove(&a->hist[0], &a->hist[1], (ALERT_HIST_MAX - 1) * sizeof(a->hist[0]));
	else
		a->nhist++;
	a->hist[a->nhist - 1] = *t;
}

int alert_flap_count(struct alert *a, int64_t now_ms, bool record)
{
	if (record) {
		a->flap_ts[a->flap_head] = now_ms;
		a->flap_head = (uint8_t)((a->flap_head + 1) % ALERT_FLAP_CHANGES);
	}
	int n = 0;
	for (int i = 0; i < ALERT_FLAP_CHANGES; i++)
		n += a->flap_ts[i] != 0 && now_ms - a->flap_ts[i] < ALERT_FLAP_WINDOW_MS;
	return n;
}
