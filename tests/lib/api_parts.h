/* The alerting part's state for api_handle() in a test: its routes (alerts, silences,
 * audit) and the device health act on engine e (api_env.parts, dcmon/part.h). */
#ifndef DCMON_TEST_API_PARTS_H
#define DCMON_TEST_API_PARTS_H

#include "dcmon/alerting.h"
#include "dcmon/api.h"
#include "dcmon/part.h"

struct test_api_parts {
	struct alerting alerting;
	void *slots[DCMON_PARTS_MAX];
};

static inline void test_api_parts_alerting(struct test_api_parts *p, struct api_env *env,
					   struct alert_engine *e)
{
	p->alerting = (struct alerting){.engine = e};
	p->slots[dcmon_part_index(&alerting_part)] = &p->alerting;
	env->parts = p->slots;
}

#endif
