/* Fuzz target: a Modbus device profile (etc/profiles/NAME.yaml with `transport: modbus`)
 * read and validated by modbus_profile_load(): register references, types and byte
 * orders, `repeat:` expansion, sentinels, states, bit fields, overlap checks; then the
 * request plan the poller would build from its points. */
#include "fuzz.h"

#include "modbus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_file("profile.yaml", data, size);
	struct cfg_diags diags;
	cfg_diags_init(&diags);
	struct modbus_profile *p = modbus_profile_load(path, &diags);
	if (p) {
		struct modbus_plan plan = {0};
		if (modbus_plan_build(p->points, p->npoints, 8, NULL, &plan) == 0)
			modbus_plan_free(&plan);
	}
	modbus_profile_free(p);
	cfg_diags_free(&diags);
	return 0;
}
