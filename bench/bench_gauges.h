/* What the C benchmarks share: the series they report into. */
#ifndef DCMON_BENCH_GAUGES_H
#define DCMON_BENCH_GAUGES_H

#include <stdint.h>

#include "dcmon/metric.h"

/* n gauges called name (unit watts) in reg, per_device of them a device: device
 * d<5 digits>, instance p<3 digits> (label "point"), reported every interval_ms.  The
 * array (free it), or NULL after a line on stderr (the registry refused one, or memory
 * ran out). */
struct metric **bench_gauges(struct metric_reg *reg, int n, int per_device, const char *name,
                             int64_t interval_ms);

#endif
