/* Fuzz target: an SNMP device profile file (etc/profiles/NAME.yaml with `transport: snmp`)
 * read and validated by snmp_profile_load(): OIDs, tables, filters and their regexes,
 * scaling helpers, enums. */
#include "fuzz.h"

#include "snmp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_file("profile.yaml", data, size);
	struct cfg_diags diags;
	cfg_diags_init(&diags);
	snmp_profile_free(snmp_profile_load(path, &diags));
	cfg_diags_free(&diags);
	return 0;
}
