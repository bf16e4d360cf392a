/* Fuzz target: a syslog TCP stream through the RFC 6587 framer (events/syslog_frame.c).
 * The first two bytes choose max_message (480..4575) and the size of the pieces the
 * stream arrives in (1..256), as a sender's segments would; every frame must be at most
 * max_message bytes, the buffer at most max_message + 16, and each frame then goes
 * through the parser like the receiver's. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "events_int.h"

struct sink {
	size_t max;
	char *scratch;
};

static void on_frame(void *arg, const char *msg, size_t len, unsigned flags)
{
	struct sink *s = arg;
	struct syslog_msg m;
	char *copy = malloc(len ? len : 1);

	if (len > s->max || !copy || (flags & ~EVENT_F_TRUNCATED))
		abort();
	memcpy(copy, msg, len);
	syslog_parse(copy, len, 1796542800000LL, &m, s->scratch, SYSLOG_SCRATCH(s->max));
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syslog_framer fr;

	if (size < 2)
		return 0;
	struct sink s = {.max = 480 + (size_t)(data[0] << 4)};
	size_t piece = 1 + data[1];
	data += 2;
	size -= 2;
	if (!(s.scratch = malloc(SYSLOG_SCRATCH(s.max))))
		abort();
	syslog_framer_init(&fr, s.max);
	for (size_t off = 0; off < size; off += piece) {
		size_t n = size - off < piece ? size - off : piece;
		if (syslog_framer_feed(&fr, (const char *)data + off, n, on_frame, &s) < 0)
			abort();
		if (fr.cap > s.max + 16 || fr.len > fr.cap)
			abort();
	}
	syslog_framer_finish(&fr, on_frame, &s);
	syslog_framer_release(&fr);
	free(s.scratch);
	return 0;
}
