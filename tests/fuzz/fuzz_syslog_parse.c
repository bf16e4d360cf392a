/* Fuzz target: one syslog message (a UDP datagram, or a frame of a TCP stream) through
 * the RFC 5424 / RFC 3164 parser (events/syslog_parse.c) in a buffer of exactly its
 * size, then into an event's JSON: every string the parser returns must be
 * NUL-terminated valid UTF-8 (jansson refuses anything else), and what does not parse
 * must come back whole. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "events_int.h"

#define NOW_MS 1796542800000LL /* 2026-12-06 07:40 UTC: 3164 time stamps get its year */

static void check_string(const char *s)
{
	if (s) {
		json_t *j = json_string(s); /* NULL for invalid UTF-8 */
		if (!j)
			abort();
		json_decref(j);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size ? size : 1);
	char *scratch = malloc(SYSLOG_SCRATCH(size));
	struct syslog_msg m;

	if (!in || !scratch)
		abort();
	memcpy(in, data, size);
	syslog_parse(in, size, NOW_MS, &m, scratch, SYSLOG_SCRATCH(size));
	check_string(m.host);
	check_string(m.app);
	check_string(m.procid);
	check_string(m.msgid);
	check_string(m.msg);
	for (size_t i = 0; i < m.nfields; i++) {
		check_string(m.fields[i].name);
		check_string(m.fields[i].value);
	}
	if ((m.severity < -1 || m.severity > 7) || (m.facility < -1 || m.facility > 23))
		abort();
	struct event ev = {.received_ms = NOW_MS, .reported_ms = m.reported_ms, .host = m.host,
			   .facility = m.facility, .severity = m.severity, .program = m.app,
			   .msgid = m.msgid, .message = m.msg, .fields = m.fields,
			   .nfields = m.nfields, .flags = m.flags};
	json_t *j = event_json(1, &ev);
	if (!j)
		abort();
	json_decref(j);
	free(scratch);
	free(in);
	return 0;
}
