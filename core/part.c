/* The parts' slots (dcmon/part.h): a part's state sits in api_env.parts at the part's
 * index in dcmon_parts, so the kernel hands it over without naming the part; and the
 * pollers the parts bring, as one list. */
#include "dcmon/part.h"

#include <pthread.h>

#include "dcmon/log.h"

size_t dcmon_part_index(const struct dcmon_part *part)
{
	for (size_t i = 0; dcmon_parts[i]; i++)
		if (dcmon_parts[i] == part)
			return i;
	fatalx("part", "%s is not in the list of parts (daemon/parts.c)", part->name);
}

void *dcmon_part_state(const struct api_env *env, size_t i)
{
	return env->parts ? env->parts[i] : NULL;
}

static const struct poller_ops *all_pollers[DCMON_POLLERS_MAX];

static void pollers_list(void)
{
	size_t n = 0;
	for (const struct dcmon_part *const *p = dcmon_parts; *p; p++)
		for (const struct poller_ops *const *o = (*p)->pollers; o && *o; o++) {
			if (n + 1 >= DCMON_POLLERS_MAX)
				fatalx("part", "the parts bring more pollers than DCMON_POLLERS_MAX "
				       "(%d)", DCMON_POLLERS_MAX);
			all_pollers[n++] = *o;
		}
}

const struct poller_ops *const *dcmon_pollers(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, pollers_list);
	return all_pollers;
}
