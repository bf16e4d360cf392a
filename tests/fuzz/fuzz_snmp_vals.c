/* Fuzz target: SNMP replies as the poller reads them.  The input is a datagram (an SNMP
 * v1/v2c/v3 message, as an agent sends it); net-snmp's own parser (snmp_parse, what
 * the session runs on a received packet) turns it into a PDU, and every varbind goes
 * through dcmon's value store (snmp_vals_put_var: bounded copies of integers, counters,
 * strings, OIDs, addresses, exceptions), back out as number and text, and through every
 * row filter and `valid_if` of the shipped profiles (regexes on agent strings). */
#include "fuzz.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "snmp_int.h"

#define PROFILES_DIR DCMON_SOURCE_DIR "/etc/profiles"
#define FILTERS_MAX 256
/* A datagram is parsed where net-snmp's session received it: at the start of its 64 KiB
 * receive buffer (_sess_read), not in a buffer of its exact size.  net-snmp 5.9.3 reads
 * a byte past some v3 security parameters (asn_parse_string from snmpv3_parse; kept in
 * tests/fuzz/crashes/snmp_vals/crash-netsnmp-v3-secparams-overread), which in the daemon
 * stays inside that buffer; dcmon only ever sees the parsed PDU. */
#define RX_BUF_SIZE 65536

static struct snmp_profile *profiles[64];
static size_t nprofiles;
static const struct snmp_filter *filters[FILTERS_MAX];
static size_t nfilters;

static void filter_add(const struct snmp_filter *f)
{
	if (nfilters < FILTERS_MAX)
		filters[nfilters++] = f;
}

/* Keeps the row filters and valid_if tests of one loaded profile. */
static void filters_of(const struct snmp_profile *p)
{
	for (size_t t = 0; t < p->ntables; t++)
		for (size_t i = 0; i < p->tables[t].nfilters; i++)
			filter_add(&p->tables[t].filters[i]);
	for (size_t i = 0; i < p->npoints; i++)
		if (p->points[i].has_valid_if)
			filter_add(&p->points[i].valid_if);
}

static void setup(void)
{
	DIR *dp = opendir(PROFILES_DIR);
	struct dirent *de;

	log_set_level(LOG_LVL_ERROR);
	snmp_lib_init();
	while (dp && (de = readdir(dp)) && nprofiles < sizeof(profiles) / sizeof(profiles[0])) {
		char path[4096];
		struct cfg_diags d;
		if (!strstr(de->d_name, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", PROFILES_DIR, de->d_name);
		cfg_diags_init(&d);
		struct snmp_profile *p = snmp_profile_load(path, &d); /* NULL: a Modbus one */
		cfg_diags_free(&d);
		if (p) {
			profiles[nprofiles++] = p;
			filters_of(p);
		}
	}
	if (dp)
		closedir(dp);
	if (nfilters == 0) {
		fprintf(stderr, "fuzz_snmp_vals: no filters in %s\n", PROFILES_DIR);
		abort();
	}
}

/* What the poller does with one varbind once it is stored. */
static void read_back(struct snmp_vals *vals, const netsnmp_variable_list *v)
{
	char name[SNMP_TEXT_MAX], text[SNMP_TEXT_MAX];
	const char *why = NULL;
	double num;

	snmp_oid_format(v->name, v->name_length, name, sizeof(name));
	const struct snmp_val *sv = snmp_vals_get(vals, v->name, v->name_length);
	if (!sv)
		return;
	if (snmp_val_number(sv, &num, &why) < 0 && !why)
		abort(); /* the contract: a reason with every refusal */
	snmp_val_text(sv, text, sizeof(text));
	for (size_t i = 0; i < nfilters; i++)
		snmp_filter_pass(filters[i], sv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	netsnmp_session sess;
	snmp_sess_init(&sess);
	if (size > RX_BUF_SIZE)
		return 0; /* no datagram is larger */
	netsnmp_pdu *pdu = calloc(1, sizeof(*pdu));
	u_char *packet = malloc(RX_BUF_SIZE);
	if (!pdu || !packet)
		abort();
	memcpy(packet, data, size);
	if (snmp_parse(NULL, &sess, pdu, packet, size) == SNMP_ERR_NOERROR) {
		struct snmp_vals *vals = snmp_vals_take();
		for (const netsnmp_variable_list *v = pdu->variables; vals && v; v = v->next_variable)
			if (snmp_vals_put_var(vals, v) == 0)
				read_back(vals, v);
		snmp_vals_give(vals);
	}
	snmp_free_pdu(pdu);
	free(packet);
	return 0;
}
