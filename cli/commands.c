/* The table of `dcmon` subcommands: adding one is a row here and a file in cli/. */
#include "cli.h"

#include <string.h>

const struct cli_cmd cli_cmds[] = {
	{"status", cli_status,
	 "[--site ID] [--room ID] [--kind KIND] [--device GLOB] [--tenant ID] [--json] [-v]",
	 "state and key values of devices; exit code 0/1/2/3 = ok/warning/critical/unknown"},
	{"probe", cli_probe,
	 "modbus HOST[:PORT] [--unit N] [--addr A] [--count C] [--function holding|input|coil|discrete]",
	 "read raw Modbus registers and print every plausible decoding (writing a profile)"},
};
const size_t cli_ncmds = sizeof(cli_cmds) / sizeof(cli_cmds[0]);

const struct cli_cmd *cli_cmd_find(const char *name)
{
	for (size_t i = 0; i < cli_ncmds; i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	return NULL;
}
