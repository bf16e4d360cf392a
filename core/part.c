/* The parts' slots (dcmon/part.h): a part's state sits in api_env.parts at the part's
 * index in dcmon_parts, so the kernel hands it over without naming the part. */
#include "dcmon/part.h"

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
