/* `dcmon probe modbus|snmp ...`: talks to the device directly (not through the daemon)
 * to help write a profile or choose one; the work is in pollers/modbus_probe.c and
 * pollers/snmp_probe.c. */
#include "cli.h"

#include <string.h>

#include "dcmon/modbus.h"
#include "dcmon/snmp.h"

int cli_probe(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "snmp") == 0)
		return snmp_probe_main(argc - 2, argv + 2, ctx->out, ctx->err) == 0 ? 0
										   : CLI_EXIT_UNKNOWN;
	bool help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
	if (argc < 2 || strcmp(argv[1], "modbus") != 0) {
		fprintf(help ? ctx->out : ctx->err, "usage: dcmon probe modbus HOST[:PORT] [--unit N] [--addr A] "
			"[--count C] [--function holding|input|coil|discrete] [--timeout MS]\n"
			"       dcmon probe snmp HOST[:PORT] [--community C] [--version 1|2c] "
			"[--profiles DIR] [--timeout MS]\n");
		return help ? 0 : CLI_EXIT_UNKNOWN;
	}
	return modbus_probe_main(argc - 2, argv + 2, ctx->out, ctx->err) == 0 ? 0
										: CLI_EXIT_UNKNOWN;
}
