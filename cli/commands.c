/* The table of `dcmon` subcommands: adding one is a row here and a file in cli/. */
#include "cli.h"

#include <string.h>

const struct cli_cmd cli_cmds[] = {
	{"status", cli_status,
	 "[--site ID] [--room ID] [--kind KIND] [--device GLOB] [--tenant ID] [--json] [-v]",
	 "state and key values of devices; exit code 0/1/2/3 = ok/warning/critical/unknown"},
	{"alerts", cli_alerts,
	 "[--state S] [--severity S] [--device GLOB] [--site ID] [--room ID] [--tenant ID] "
	 "[--kind KIND] [--rule NAME] [--unhandled] [--all] [--json]",
	 "alerts with ack and silence reasons; exit code 0/1/2 = worst firing severity"},
	{"ack", cli_ack, "ID --comment TEXT [--site SITE] [--json]",
	 "acknowledge an alert (holds until it resolves or worsens)"},
	{"silence", cli_silence,
	 "KEY=VALUE... [--for DURATION | --until TIME] --reason TEXT "
	 "[--every DAYS --from HH:MM --to HH:MM [--tz ZONE]] [--site SITE] [--json]",
	 "silence alerts matching a selector (maintenance window, one-off or recurring)"},
	{"silences", cli_silences, "[--json]", "list the silences"},
	{"unsilence", cli_unsilence, "ID [--site SITE] [--json]", "end a silence"},
	{"maintenance", cli_maintenance,
	 "request DEVICE (--for DURATION | --until TIME) --reason TEXT | list | approve ID | "
	 "reject ID --reason TEXT | end ID [--json]",
	 "windows of work asked by one account and approved by another (alerts silenced, "
	 "logins approved)"},
	{"events", cli_events,
	 "[--since T] [--until T] [--device ID] [--tenant ID] [--site ID] [--source ADDR] "
	 "[--program NAME] [--kind K] [--severity S] [--text WORDS] [--flag F] [--limit N] "
	 "[-f] [--json]",
	 "syslog messages and traps from the event store; -f follows new ones"},
	{"audit", cli_audit,
	 "[--limit N] [--action A] [--target T] [--json] | verify [--log FILE | --file F] | "
	 "export [--since T] [--until T]",
	 "who acknowledged and silenced what, when, from where"},
	{"impact", cli_impact, "DEVICE [--json]",
	 "what depends on a device; what would lose power or redundancy if it failed"},
	{"test-mode", cli_test_mode,
	 "DEVICE --for DURATION --reason TEXT [--test NAME] [--site SITE] [--json]",
	 "facility test window on one asset (alarms quiet, audited, ends by itself)"},
	{"probe", cli_probe,
	 "modbus HOST[:PORT] [--unit N] [--addr A] [--count C] [--function holding|input|coil|discrete]"
	 " | snmp HOST[:PORT] [--community C] [--version 1|2c] [--profiles DIR] [--timeout MS]",
	 "Modbus: raw registers with every plausible decoding (writing a profile); SNMP: every "
	 "profile's points answered, misfits, and a device stanza (choosing profiles)"},
	{"discover", cli_discover,
	 "RANGE [--community C [--version 1|2c] | --v3 KEY=VAL,...] [--snmp-port N] "
	 "[--ports P,...] [--concurrency N] [--timeout MS] [--profiles DIR] [--large] [--json]",
	 "sweep an address range (ping, SNMP, TCP ports): the devices that answer, the profiles "
	 "that fit them and a device stanza each to review"},
	{"notifications", cli_notifications, "[--state pending|sent|failed] [--limit N] [--json]",
	 "alert e-mail spool; exit code 2 while delivery is failing"},
	{"user", cli_user,
	 "add|list|show|disable|enable|passwd|role|unlock|delete|token|mfa|mfa-reset [NAME] "
	 "[--role ROLE] "
	 "[--tenant ID] [--site ID] [--json]",
	 "accounts and their roles (docs/ACCOUNTS.md); passwords are read from the terminal"},
	{"config", cli_config,
	 "show --effective [--tenant ID] [--json] | export [--tenant ID] | "
	 "import [--tenant ID] FILE",
	 "the configuration in force: each device and rule with where it comes from (the NOC's "
	 "file or a tenant's layer); a tenant's layer as YAML, out and back in"},
	{"passwd", cli_passwd, "",
	 "change your own account's password (the current one first); your web sessions end"},
	{"report", cli_report,
	 "availability --period P [--tenant T] [--format text|json|html|pdf] [--output FILE]",
	 "availability against the SLA target and the outage log, per device, check, tenant, "
	 "site and facility subsystem"},
	{"test-email", cli_test_email, "--route NAME",
	 "send a test e-mail to a route's recipients through the spool and SMTP relay"},
	{"recipients", cli_recipients, "TENANT [--json]",
	 "a tenant's own alert recipients: confirmed or not, severity filter, quiet hours"},
	{"sites", cli_sites, "[ID] [--json]",
	 "a hub's sites: link age, events held, gaps; with ID the site's open alerts"},
};
const size_t cli_ncmds = sizeof(cli_cmds) / sizeof(cli_cmds[0]);

const struct cli_cmd *cli_cmd_find(const char *name)
{
	for (size_t i = 0; i < cli_ncmds; i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	return NULL;
}
