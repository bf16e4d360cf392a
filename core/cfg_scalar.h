/* Scalar syntax shared by the config decoder (private to core/). */
#ifndef DCMON_CFG_SCALAR_H
#define DCMON_CFG_SCALAR_H

#include <stdbool.h>
#include <stdint.h>

/* Decimal integer, optional leading '-'; returns 0 or -EINVAL (also on overflow). */
int cfg_scalar_int64(const char *s, int64_t *out);
/* Finite decimal number; returns 0 or -EINVAL. */
int cfg_scalar_double(const char *s, double *out);
/* true/false, yes/no, on/off (any case); returns 0 or -EINVAL. */
int cfg_scalar_bool(const char *s, bool *out);

#endif
