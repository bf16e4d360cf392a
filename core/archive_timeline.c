/* The archive's time line (loop thread).  RRD files take only times after their last
 * update, so after the wall clock steps back the sample times cannot be written as they
 * are.  Instead the time line keeps going from where it was, at half speed, until the
 * wall clock has caught up with it (after twice the step): every value still lands in
 * its file, two per RRD step at most, and the files are back on the wall clock by
 * themselves.  A forward step shortens the catch-up or simply jumps. */
#include "archive_int.h"

int64_t archive_timeline_lag(const struct archive_timeline *t, int64_t mono_ms)
{
	int64_t lag = t->lag_ms - (mono_ms - t->since_mono_ms) / 2;
	return lag > 0 ? lag : 0;
}

int64_t archive_timeline_map(struct archive_timeline *t, int64_t ts_ms, int64_t mono_ms)
{
	if (t->lag_ms == 0)
		return ts_ms;
	int64_t lag = archive_timeline_lag(t, mono_ms);
	if (lag == 0) {
		t->lag_ms = 0;
		log_info(ARCHIVE_SUB, NULL, "the wall clock caught up: archive times are the "
		                            "sample times again");
	}
	return ts_ms + lag;
}

void archive_timeline_step(struct archive_timeline *t, int64_t step_ms, int64_t mono_ms)
{
	int64_t lag = archive_timeline_lag(t, mono_ms) - step_ms;
	t->lag_ms = lag > 0 ? lag : 0;
	t->since_mono_ms = mono_ms;
	if (t->lag_ms > 0)
		log_info(ARCHIVE_SUB, NULL,
		         "archive times go on from the last ones at half speed until the wall "
		         "clock catches up, in %llds",
		         (long long)(2 * t->lag_ms / 1000));
}
