/* `dcmon probe modbus`: reads raw registers from an unknown device and prints every
 * plausible decoding, so a profile can be written in minutes instead of guessing word
 * orders.  For each start address: each type in each distinct word order (16-bit
 * types have two: as is and byte-swapped), integers also at the common scales 0.1,
 * 0.01 and 0.001; floats that cannot be a measurement (NaN, Inf, subnormal, above
 * 1e12 or below 1e-6) are left out.  The read uses the daemon's own Modbus TCP link.
 */
#include "dcmon/modbus.h"

#include "modbus.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_REGS_MAX MODBUS_REGS_MAX

/* True if a float is something a device would plausibly report. */
static bool float_plausible(double v)
{
	double a = fabs(v);

	return isfinite(v) && (v == 0 || (a >= 1e-6 && a <= 1e12)) &&
	       fpclassify(v) != FP_SUBNORMAL;
}

/* Reference number of an address in the 40001 notation of the table. */
static unsigned long reference(enum modbus_table t, unsigned addr)
{
	static const unsigned long base[] = { [MB_COIL] = 0, [MB_DISCRETE] = 100000,
					      [MB_HOLDING] = 400000, [MB_INPUT] = 300000 };

	return addr < 9999 ? base[t] / 10 + addr + 1 : base[t] + addr + 1;
}

static void print_raw(FILE *out, const uint16_t *regs, size_t n, uint16_t base,
		      enum modbus_table t)
{
	fprintf(out, "raw %s registers (address = 0-based protocol address, ref = manual "
		"notation):\n  %-7s %-8s %-7s %-7s %-7s %s\n", modbus_table_name(t), "address",
		"ref", "hex", "uint16", "int16", "ascii");
	for (size_t i = 0; i < n; i++) {
		unsigned hi = regs[i] >> 8, lo = regs[i] & 0xFF;

		fprintf(out, "  %-7u %-8lu 0x%04X  %-7u %-7d %c%c\n", base + (unsigned)i,
			reference(t, base + (unsigned)i), regs[i], regs[i], (int16_t)regs[i],
			hi >= 32 && hi < 127 ? hi : '.', lo >= 32 && lo < 127 ? lo : '.');
	}
}

static bool is_float(enum modbus_type t)
{
	return t == MB_T_FLOAT32 || t == MB_T_FLOAT64;
}

/* One decoding line: type, order, value and for integers the scaled values. */
static void print_one(FILE *out, uint16_t addr, enum modbus_type t, enum modbus_order o,
		      double v)
{
	fprintf(out, "  %-5u %-7s %-4s ", addr, modbus_type_name(t), modbus_order_name(o));
	if (is_float(t)) {
		fprintf(out, "%.9g\n", v);
		return;
	}
	fprintf(out, "%-22.0f x0.1 %-14.1f x0.01 %-14.2f x0.001 %.3f\n", v, v * 0.1, v * 0.01,
		v * 0.001);
}

/* Every decoding starting at regs[0] (n registers available). */
static void print_at(FILE *out, const uint16_t *regs, size_t n, uint16_t addr)
{
	for (int t = MB_T_INT16; t < MB_T_COUNT; t++) {
		unsigned nw = modbus_type_words((enum modbus_type)t);
		int norders = nw == 1 ? 2 : MB_ORDER_COUNT;

		if (nw > n)
			continue;
		for (int k = 0; k < norders; k++) {
			/* 16-bit: ABCD and BADC are the distinct ones */
			enum modbus_order o = nw == 1 && k == 1 ? MB_BADC : (enum modbus_order)k;
			uint64_t pat = modbus_assemble(regs, (enum modbus_type)t, o);
			double v = modbus_pattern_value(pat, (enum modbus_type)t);

			if (is_float((enum modbus_type)t) && !float_plausible(v))
				continue;
			print_one(out, addr, (enum modbus_type)t, o, v);
		}
	}
}

int modbus_probe_print(FILE *out, const uint16_t *regs, size_t n, uint16_t base_addr)
{
	return modbus_probe_print_table(out, regs, n, base_addr, MB_HOLDING);
}

int modbus_probe_print_table(FILE *out, const uint16_t *regs, size_t n, uint16_t base_addr,
			     enum modbus_table t)
{
	if (n == 0 || n > MODBUS_BITS_MAX || (size_t)base_addr + n - 1 > MODBUS_ADDR_MAX)
		return -EINVAL;
	if (modbus_table_is_bits(t)) {
		fprintf(out, "%s bits from address %u:\n", modbus_table_name(t), base_addr);
		for (size_t i = 0; i < n; i++)
			fprintf(out, "  %-7u %-8lu %u\n", base_addr + (unsigned)i,
				reference(t, base_addr + (unsigned)i), regs[i]);
		return 0;
	}
	print_raw(out, regs, n, base_addr, t);
	fprintf(out, "\nplausible decodings (address, type, order, value, common scales):\n");
	for (size_t i = 0; i < n; i++)
		print_at(out, regs + i, n - i, (uint16_t)(base_addr + i));
	return 0;
}

/* ---- reading ---------------------------------------------------------------------- */

struct probe_wait {
	bool done;
	struct modbus_result *res;
};

static void probe_done(void *arg, const struct modbus_result *res)
{
	struct probe_wait *w = arg;

	memcpy(w->res, res, sizeof *res);
	w->done = true;
}

static void probe_stop(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

static void probe_check(struct loop *loop, void *arg)
{
	struct probe_wait *w = arg;

	if (w->done)
		loop_stop(loop);
	else
		loop_timer_add(loop, 5, probe_check, w);
}

int modbus_probe_read(const struct modbus_probe_req *pr, struct modbus_result *res)
{
	struct modbus_endpoint ep = { .host = pr->host, .port = pr->port };
	struct modbus_xreq rq = { .unit = pr->unit, .table = pr->table, .addr = pr->addr,
				  .count = pr->count, .timeout_ms = pr->timeout_ms };
	struct probe_wait w = { .res = res };
	struct loop *loop = loop_new();
	struct modbus_link *link;

	if (!loop)
		return -errno;
	link = modbus_link_get(loop, NULL, &ep);
	if (!link || !modbus_link_submit(link, &rq, probe_done, &w)) {
		modbus_link_put(link);
		loop_free(loop);
		return -ENOMEM;
	}
	loop_timer_add(loop, 5, probe_check, &w);
	loop_timer_add(loop, pr->timeout_ms + 1000, probe_stop, NULL);
	loop_run(loop);
	modbus_link_put(link);
	loop_free(loop);
	if (!w.done)
		modbus_result_set_error(res, -ETIMEDOUT);
	return res->err;
}

/* ---- command line ------------------------------------------------------------------- */

static int table_arg(const char *s, enum modbus_table *t)
{
	static const char *const names[] = { "coil", "discrete", "holding", "input" };

	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0 || (s[0] == '1' + i && !s[1])) {
			*t = (enum modbus_table)(i + 1);
			return 0;
		}
	}
	return -EINVAL;
}

static int num_arg(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 0);
	return errno || *end || !*s || *out < lo || *out > hi ? -EINVAL : 0;
}

/* HOST[:PORT] or [V6]:PORT. */
static int host_arg(char *s, struct modbus_probe_req *pr)
{
	char *colon = strrchr(s, ':');
	long port;

	if (s[0] == '[') {
		char *close = strchr(s, ']');

		if (!close)
			return -EINVAL;
		*close = '\0';
		pr->host = s + 1;
		colon = close[1] == ':' ? close + 1 : NULL;
	} else if (colon && strchr(s, ':') != colon) {
		colon = NULL; /* bare IPv6 address */
		pr->host = s;
	} else {
		pr->host = s;
	}
	if (colon) {
		*colon = '\0';
		if (num_arg(colon + 1, 1, 65535, &port) < 0)
			return -EINVAL;
		pr->port = (int)port;
	}
	return 0;
}

/* One "--opt value" pair. */
static int option_arg(const char *opt, const char *val, struct modbus_probe_req *pr)
{
	long v;

	if (!strcmp(opt, "--function") || !strcmp(opt, "--table"))
		return table_arg(val, &pr->table);
	if (!strcmp(opt, "--unit") && num_arg(val, 0, 255, &v) == 0)
		pr->unit = (uint8_t)v;
	else if (!strcmp(opt, "--addr") && num_arg(val, 0, MODBUS_ADDR_MAX, &v) == 0)
		pr->addr = (uint16_t)v;
	else if (!strcmp(opt, "--count") && num_arg(val, 1, MODBUS_BITS_MAX, &v) == 0)
		pr->count = (uint16_t)v;
	else if (!strcmp(opt, "--timeout") && num_arg(val, 1, 60000, &v) == 0)
		pr->timeout_ms = v;
	else
		return -EINVAL;
	return 0;
}

int modbus_probe_args(int argc, char **argv, struct modbus_probe_req *pr, char *err,
		      size_t errlen)
{
	*pr = (struct modbus_probe_req){ .port = 502, .unit = 1, .table = MB_HOLDING,
					 .count = 10, .timeout_ms = 2000 };
	if (argc < 1 || host_arg(argv[0], pr) < 0) {
		snprintf(err, errlen, "expected HOST[:PORT] first");
		return -EINVAL;
	}
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc || option_arg(argv[i], argv[i + 1], pr) < 0) {
			snprintf(err, errlen, "bad option %s%s%s", argv[i], i + 1 < argc ? " " : "",
				 i + 1 < argc ? argv[i + 1] : "");
			return -EINVAL;
		}
	}
	if (pr->count > (modbus_table_is_bits(pr->table) ? MODBUS_BITS_MAX : MODBUS_REGS_MAX) ||
	    (long)pr->addr + pr->count - 1 > MODBUS_ADDR_MAX) {
		snprintf(err, errlen, "--count %u too large for %s at address %u", pr->count,
			 modbus_table_name(pr->table), pr->addr);
		return -EINVAL;
	}
	return 0;
}

int modbus_probe_main(int argc, char **argv, FILE *out, FILE *errout)
{
	struct modbus_probe_req pr;
	struct modbus_result *res;
	char err[160];
	int rc;

	if (modbus_probe_args(argc, argv, &pr, err, sizeof err) < 0) {
		fprintf(errout, "dcmon probe modbus: %s\nusage: dcmon probe modbus HOST[:PORT] "
			"[--unit N] [--addr A] [--count C] [--function holding|input|coil|discrete] "
			"[--timeout MS]\n", err);
		return 2;
	}
	res = calloc(1, sizeof *res);
	if (!res)
		return 1;
	rc = modbus_probe_read(&pr, res);
	if (rc < 0)
		fprintf(errout, "dcmon probe modbus: %s unit %u %s %u..%u: %s\n", pr.host, pr.unit,
			modbus_table_name(pr.table), pr.addr, pr.addr + pr.count - 1, res->reason);
	else
		modbus_probe_print_table(out, res->regs, res->count, pr.addr, pr.table);
	free(res);
	return rc < 0 ? 1 : 0;
}
