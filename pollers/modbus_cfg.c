/* The device's `modbus:` section as a key table (see dcmon/modbus.h):
 *   TCP:  modbus: {host: 10.0.0.5, port: 502, unit: 1, timeout: 1s, max_gap: 8}
 *   RTU:  modbus: {device: /dev/ttyUSB0, baud: 19200, parity: even, stop_bits: 1, unit: 10}
 */
#include "dcmon/modbus.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <strings.h>

#include "modbus.h"

static int parity_decode(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	static const char *const names[] = { "none", "even", "odd", NULL };
	static const char codes[] = { 'N', 'E', 'O' };

	(void)ctx;
	for (int i = 0; names[i] && n->type == CFGNODE_SCALAR; i++) {
		if (!strcasecmp(n->scalar, names[i]) ||
		    (n->scalar[0] && !n->scalar[1] &&
		     toupper((unsigned char)n->scalar[0]) == codes[i])) {
			*(char *)field = codes[i];
			return 0;
		}
	}
	cfg_error(d, &n->pos, "parity: expected none, even or odd (or N, E, O)");
	return -EINVAL;
}

static bool parity_same(const void *a, const void *b)
{
	return *(const char *)a == *(const char *)b;
}

#define MB(f) offsetof(struct cfg_modbus, f)

const struct cfg_key modbus_cfg_keys[] = {
	{ .name = "host", .type = CFGK_STRING, .offset = MB(host) },
	{ .name = "port", .type = CFGK_INT, .offset = MB(port), .min = 1, .max = 65535 },
	{ .name = "device", .type = CFGK_STRING, .offset = MB(device),
	  .expect = "a serial device path like /dev/ttyUSB0" },
	{ .name = "baud", .type = CFGK_INT, .offset = MB(baud), .min = 300, .max = 4000000 },
	{ .name = "parity", .type = CFGK_CUSTOM, .offset = MB(parity), .custom = parity_decode,
	  .same = parity_same },
	{ .name = "data_bits", .type = CFGK_INT, .offset = MB(data_bits), .min = 5, .max = 8 },
	{ .name = "stop_bits", .type = CFGK_INT, .offset = MB(stop_bits), .min = 1, .max = 2 },
	{ .name = "unit", .type = CFGK_INT, .offset = MB(unit), .min = 0, .max = 255,
	  .expect = "a unit id 0..255" },
	{ .name = "timeout", .type = CFGK_DURATION, .offset = MB(timeout_ms), .min = 10,
	  .max = 60000 },
	{ .name = "max_gap", .type = CFGK_INT, .offset = MB(max_gap), .min = 0,
	  .max = MODBUS_REGS_MAX },
	{ .name = NULL },
};

void modbus_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_modbus *m = elem;

	(void)ctx;
	*m = (struct cfg_modbus){ .port = 502, .baud = 9600, .parity = 'E', .data_bits = 8,
				  .stop_bits = 1, .unit = 1, .timeout_ms = CFG_UNSET,
				  .max_gap = 8, .pos = node->pos };
}

int modbus_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	const struct cfg_modbus *m = elem;

	(void)ctx;
	if (m->host && m->device) {
		cfg_error(d, &node->pos, "modbus: give host: (Modbus TCP) or device: (RTU), "
			  "not both");
		return -EINVAL;
	}
	return 0;
}
