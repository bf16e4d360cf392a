#include "bench_gauges.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metric **bench_gauges(struct metric_reg *reg, int n, int per_device, const char *name,
                             int64_t interval_ms)
{
	struct metric **m = calloc((size_t)n, sizeof(*m));
	for (int i = 0; m && i < n; i++) {
		char dev[32], inst[16];
		snprintf(dev, sizeof(dev), "d%05d", i / per_device);
		snprintf(inst, sizeof(inst), "p%03d", i % per_device);
		struct metric_desc d = {.name = name,
		                        .unit = "watts",
		                        .kind = METRIC_GAUGE,
		                        .inst_label = "point",
		                        .inst = inst,
		                        .interval_ms = interval_ms};
		if (!(m[i] = metric_reg_get(reg, dev, &d))) {
			fprintf(stderr, "metric_reg_get: %s\n", strerror(errno));
			free(m);
			return NULL;
		}
	}
	if (!m)
		fprintf(stderr, "out of memory for %d series\n", n);
	return m;
}
