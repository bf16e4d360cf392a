/* Modbus: the device `modbus:` config section.  The contract between config (one
 * CFGK_SECTION row in the device keys) and pollers/modbus*.c.
 *
 *   TCP:  modbus: {host: 10.0.0.5, port: 502, unit: 1, timeout: 1s, max_gap: 8}
 *   RTU:  modbus: {device: /dev/ttyUSB0, baud: 19200, parity: even, stop_bits: 1, unit: 10}
 */
#ifndef DCMON_MODBUS_H
#define DCMON_MODBUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"

/* A device's `modbus:` section.  Modbus TCP when `device` is NULL, RTU otherwise. */
struct cfg_modbus {
	char *host;          /* TCP host; NULL = the device's host */
	int port;            /* TCP port, default 502 */
	char *device;        /* RTU serial line (/dev/ttyUSB0), NULL for TCP */
	int baud;            /* RTU: bits/s, default 9600 */
	char parity;         /* RTU: 'N', 'E' or 'O', default 'E' (the Modbus default) */
	int data_bits;       /* RTU: default 8 */
	int stop_bits;       /* RTU: 1 or 2, default 1 */
	int unit;            /* unit id 0..255, default 1 */
	int64_t timeout_ms;  /* reply wait per request, ms; CFG_UNSET = the device timeout */
	int max_gap;         /* registers a merged request may read that no point uses; default 8 */
	struct cfg_pos pos;
};

/* The section as a key table (for a CFGK_SECTION row of the device keys): init presets
 * the defaults, check refuses host: together with device:. */
extern const struct cfg_key modbus_cfg_keys[];
void modbus_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
int modbus_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
/* The device's `modbus:` section (kept by the kernel as the pollers part's own,
 * dcmon/part.h), or NULL when it has none. */
const struct cfg_modbus *modbus_device_cfg(const struct cfg_device *dev);

/* The whole `dcmon probe modbus HOST[:PORT] [--unit N] [--addr A] [--count C]
 * [--function holding|input|coil|discrete] [--timeout MS]` command (pollers/
 * modbus_probe.c): reads once over Modbus TCP and prints the raw registers and every
 * plausible decoding.  argv holds what follows "probe modbus".  Returns 0 on success,
 * 1 when the read failed (reason on errout), 2 on a usage error. */
int modbus_probe_main(int argc, char **argv, FILE *out, FILE *errout);

/* Loads every Modbus profile a device names and reports bad ones as positioned errors
 * (--check-config, reload).  Returns 0 or -EINVAL. */
int modbus_profiles_check(const struct cfg *cfg, struct cfg_diags *d);

#endif
