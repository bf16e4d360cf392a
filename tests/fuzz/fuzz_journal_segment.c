/* Fuzz target: a journal segment's bytes through the replay's decoder
 * (core/archive_journal_format.c), either format.  Every value it gives must point into
 * the segment with a path that fits PATH_MAX, a step and a known kind, there are at
 * most as many values as half the bytes, and the end is a clean one or an error. */
#include "fuzz.h"

#include <errno.h>
#include <stdlib.h>

#include "archive_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct archive_journal_dec d;
	struct archive_journal_rec r;
	size_t n = 0;
	int got;
	archive_journal_dec_init(&d, data, size);
	while ((got = archive_journal_dec_next(&d, &r)) == 1) {
		const char *end = (const char *)data + size;
		if (r.rel < (const char *)data || r.rel_len == 0 || r.rel_len >= PATH_MAX ||
		    r.rel_len > (size_t)(end - r.rel) || r.step_s == 0 ||
		    (unsigned)r.kind > METRIC_STATE || ++n > size / 2)
			abort();
	}
	if (got != 0 && got != -ENODATA && got != -EBADMSG && got != -ENOMEM)
		abort();
	if (got < 0 && d.off > size)
		abort();
	archive_journal_dec_free(&d);
	return 0;
}
