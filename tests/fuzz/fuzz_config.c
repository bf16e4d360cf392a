/* Fuzz target: the daemon configuration, as `dcmond --check-config` reads it -- YAML
 * into the config model with its validation (cfg_load), then the checks of the
 * profiles the devices name and their default rules.  The input is the config file,
 * in a scratch directory where the shipped profiles are found (see setup). */
#include "fuzz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmon/config.h"
#include "dcmon/log.h"
#include "dcmon/modbus.h"
#include "dcmon/snmp.h"
#include "profile_rules.h"

/* <scratch>/conf/dcmon.yaml (the input), with the shipped profiles at both places
 * configs name them: `profiles` beside the file (the default) and `../profiles` (as
 * etc/demo/dcmon.yaml does). */
static void setup(void)
{
	static const char *const links[] = {"profiles", "conf/profiles"};
	char path[4200];
	snprintf(path, sizeof(path), "%s/conf", fuzz_scratch_dir());
	if (mkdir(path, 0700) < 0) {
		perror("fuzz_config: mkdir");
		abort();
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_scratch_dir(), links[i]);
		if (symlink(DCMON_SOURCE_DIR "/etc/profiles", path) < 0) {
			perror("fuzz_config: symlink");
			abort();
		}
	}
	log_set_level(LOG_LVL_ERROR); /* the diagnostics are the output, not log lines */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	const char *path = fuzz_write_file("conf/dcmon.yaml", data, size);
	struct cfg_diags diags;
	cfg_diags_init(&diags);
	struct cfg *cfg = cfg_load(path, &diags);
	if (cfg) {
		struct profile_rules pr = {0};
		snmp_profiles_check(cfg, &diags);
		modbus_profiles_check(cfg, &diags);
		profile_rules_load(cfg, &pr, &diags);
		profile_rules_free(&pr);
		cfg_free(cfg);
	}
	cfg_diags_free(&diags);
	return 0;
}
