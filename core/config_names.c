/* Names of device kinds and severities: one table each (dcmon/enumtab.h). */
#include "dcmon/config.h"

#include <errno.h>

#include "config_int.h"
#include "dcmon/enumtab.h"

const char *const cfg_dev_kind_names[] = {
    [DEV_SERVER] = "server",   [DEV_UPS] = "ups",       [DEV_GENERATOR] = "generator",
    [DEV_COOLING] = "cooling", [DEV_FIRE] = "fire",     [DEV_PDU] = "pdu",
    [DEV_ENV] = "env",         [DEV_LEAK] = "leak",     [DEV_ATS] = "ats",
    [DEV_UTILITY] = "utility", [DEV_RACK] = "rack",     [DEV_SWITCH] = "switch",
    [DEV_OTHER] = "other",     [DEV_KIND_COUNT] = NULL,
};

const char *const cfg_severity_names[] = {
    [SEV_INFO] = "info",
    [SEV_WARNING] = "warning",
    [SEV_CRITICAL] = "critical",
    NULL,
};

_Static_assert(sizeof(enum dev_kind) == sizeof(int), "CFGK_ENUM writes an int");
_Static_assert(sizeof(enum cfg_severity) == sizeof(int), "CFGK_ENUM writes an int");
_Static_assert(sizeof(enum log_level) == sizeof(int), "CFGK_ENUM writes an int");

const char *dev_kind_name(enum dev_kind k)
{
	return enum_name(cfg_dev_kind_names, (int)k);
}

int dev_kind_parse(const char *s, enum dev_kind *out)
{
	int v;
	if (enum_parse(cfg_dev_kind_names, s, &v) < 0)
		return -EINVAL;
	*out = (enum dev_kind)v;
	return 0;
}

const char *cfg_severity_name(enum cfg_severity s)
{
	return enum_name(cfg_severity_names, (int)s);
}
