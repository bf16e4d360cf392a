/* The device's `modbus:` section:
 *   TCP:  modbus: {host: 10.0.0.5, port: 502, unit: 1, timeout: 1s, max_gap: 8}
 *   RTU:  modbus: {device: /dev/ttyUSB0, baud: 19200, parity: even, stop_bits: 1, unit: 10}
 * A CFGK_CUSTOM decoder for config.c's device key table.
 */
#include "modbus.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parity_decode(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	static const char *const names[] = { "none", "even", "odd", NULL };
	static const char codes[] = { 'N', 'E', 'O' };

	(void)ctx;
	for (int i = 0; names[i] && n->type == CFGNODE_SCALAR; i++) {
		if (!strcasecmp(n->scalar, names[i]) ||
		    (n->scalar[1] == '\0' && toupper((unsigned char)n->scalar[0]) == codes[i])) {
			*(char *)field = codes[i];
			return 0;
		}
	}
	cfg_error(d, &n->pos, "parity: expected none, even or odd (or N, E, O)");
	return -EINVAL;
}

static const struct cfg_key modbus_keys[] = {
	{ .name = "host", .type = CFGK_STRING, .offset = offsetof(struct cfg_modbus, host) },
	{ .name = "port", .type = CFGK_INT, .offset = offsetof(struct cfg_modbus, port),
	  .min = 1, .max = 65535 },
	{ .name = "device", .type = CFGK_STRING, .offset = offsetof(struct cfg_modbus, device),
	  .expect = "a serial device path like /dev/ttyUSB0" },
	{ .name = "baud", .type = CFGK_INT, .offset = offsetof(struct cfg_modbus, baud),
	  .min = 300, .max = 4000000 },
	{ .name = "parity", .type = CFGK_CUSTOM, .offset = offsetof(struct cfg_modbus, parity),
	  .custom = parity_decode },
	{ .name = "data_bits", .type = CFGK_INT, .offset = offsetof(struct cfg_modbus, data_bits),
	  .min = 5, .max = 8 },
	{ .name = "stop_bits", .type = CFGK_INT, .offset = offsetof(struct cfg_modbus, stop_bits),
	  .min = 1, .max = 2 },
	{ .name = "unit", .type = CFGK_INT, .offset = offsetof(struct cfg_modbus, unit),
	  .min = 0, .max = 255, .expect = "a unit id 0..255" },
	{ .name = "timeout", .type = CFGK_DURATION,
	  .offset = offsetof(struct cfg_modbus, timeout_ms), .min = 10, .max = 60000 },
	{ .name = "max_gap", .type = CFGK_INT, .offset = offsetof(struct cfg_modbus, max_gap),
	  .min = 0, .max = MODBUS_REGS_MAX },
	{ .name = NULL },
};

void modbus_cfg_free(struct cfg_modbus *m)
{
	if (!m)
		return;
	free(m->host);
	free(m->device);
	free(m);
}

int modbus_cfg_decode(const struct cfgnode *node, void *field, struct cfg_diags *d,
		      void *ctx)
{
	struct cfg_modbus *m = calloc(1, sizeof *m);
	struct cfg_modbus **out = field;

	if (!m)
		return -ENOMEM;
	*m = (struct cfg_modbus){ .port = 502, .baud = 9600, .parity = 'E', .data_bits = 8,
				  .stop_bits = 1, .unit = 1, .timeout_ms = CFG_UNSET,
				  .max_gap = 8, .pos = node->pos };
	if (cfg_decode(node, modbus_keys, m, d, ctx) < 0) {
		modbus_cfg_free(m);
		return -EINVAL;
	}
	if (m->host && m->device) {
		cfg_error(d, &node->pos, "modbus: give host: (Modbus TCP) or device: (RTU), "
			  "not both");
		modbus_cfg_free(m);
		return -EINVAL;
	}
	modbus_cfg_free(*out);
	*out = m;
	return 0;
}

void modbus_cfg_field_release(void *field)
{
	struct cfg_modbus **m = field;

	modbus_cfg_free(*m);
	*m = NULL;
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

bool modbus_cfg_field_same(const void *fa, const void *fb)
{
	const struct cfg_modbus *a = *(struct cfg_modbus *const *)fa;
	const struct cfg_modbus *b = *(struct cfg_modbus *const *)fb;

	if (!a || !b)
		return a == b;
	return str_same(a->host, b->host) && a->port == b->port &&
	       str_same(a->device, b->device) && a->baud == b->baud &&
	       a->parity == b->parity && a->data_bits == b->data_bits &&
	       a->stop_bits == b->stop_bits && a->unit == b->unit &&
	       a->timeout_ms == b->timeout_ms && a->max_gap == b->max_gap;
}
