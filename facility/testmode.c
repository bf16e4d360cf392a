/* Facility test mode: a silence of one asset's alerts for the test, audited as
 * "test-mode"; the engine's silences end it by themselves and notify what is still
 * wrong then. */
#include "facility_int.h"

#include <errno.h>
#include <stdio.h>

#include "dcmon/log.h"

int facility_test_mode(struct alert_engine *e, const struct cfg *cfg, const char *device,
		       const char *what, int64_t for_ms, const char *reason,
		       const struct alert_actor *by, int64_t now_ms, int64_t *id, char *err,
		       size_t errlen)
{
	if (!device || !cfg_device_find(cfg, device)) {
		snprintf(err, errlen, "unknown device '%s'", device ? device : "");
		return -ENOENT;
	}
	if (for_ms <= 0 || !reason || !reason[0]) {
		snprintf(err, errlen, "test mode needs a duration and a reason");
		return -EINVAL;
	}
	char text[512], target[160];
	snprintf(text, sizeof(text), "test-mode (%s): %s", what && what[0] ? what : "test", reason);
	struct alert_silence_spec spec = {.match = {.device = (char *)device},
					  .starts_ms = now_ms, .ends_ms = now_ms + for_ms,
					  .reason = text};
	int rc = alert_engine_silence_add(e, &spec, by, now_ms, id, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(target, sizeof(target), "device:%s", device);
	char detail[600];
	snprintf(detail, sizeof(detail), "%s for %llds, silence %lld", text,
		 (long long)(for_ms / 1000), (long long)*id);
	int arc = alert_engine_audit_add(e, by, "test-mode", target, detail, now_ms);
	if (arc < 0 && arc != -ENOTSUP)
		log_warnx("facility", device, "could not write the audit log");
	return 0;
}
