/* The event loop: epoll for I/O readiness, a min-heap of one-shot timers on the
 * monotonic clock, and a thread-safe post queue through which worker threads hand
 * results back.  Everything registered on a loop runs on the loop's thread.
 *
 * Callbacks must not block.  A callback may add or remove any I/O watcher or timer,
 * including its own.
 */
#ifndef DCMON_LOOP_H
#define DCMON_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct loop_timer;

#define LOOP_READ  0x1u
#define LOOP_WRITE 0x2u
#define LOOP_ERROR 0x4u /* reported only: EPOLLERR / EPOLLHUP */

typedef void (*loop_io_cb)(struct loop *loop, int fd, unsigned events, void *arg);
typedef void (*loop_fn)(struct loop *loop, void *arg);

/* Constructor; NULL with errno set on failure.  loop_free(NULL) is a no-op.  Pending
 * timers are freed without being called; posted work not yet run is dropped. */
struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Runs until loop_stop(); returns 0, or a negative errno if epoll fails. */
int loop_run(struct loop *loop);
/* Makes loop_run() return after the current iteration.  Loop thread only. */
void loop_stop(struct loop *loop);

/* Watches fd for `events` (LOOP_READ|LOOP_WRITE).  One watcher per fd.
 * Returns 0 or a negative errno (-EEXIST if fd is already watched). */
int loop_io_add(struct loop *loop, int fd, unsigned events, loop_io_cb cb, void *arg);
/* Changes the events of a watched fd; 0 or negative errno. */
int loop_io_mod(struct loop *loop, int fd, unsigned events);
/* Stops watching fd (does not close it).  No-op if not watched. */
void loop_io_del(struct loop *loop, int fd);

/* Calls cb once after delay_ms (monotonic).  Returns a handle valid until the
 * callback starts or loop_timer_cancel() is called; NULL on allocation failure. */
struct loop_timer *loop_timer_add(struct loop *loop, int64_t delay_ms, loop_fn cb, void *arg);
/* Same, at an absolute monotonic time in ms (see loop_now_ms). */
struct loop_timer *loop_timer_at(struct loop *loop, int64_t when_ms, loop_fn cb, void *arg);
/* Cancels a pending timer and frees it.  NULL is a no-op. */
void loop_timer_cancel(struct loop *loop, struct loop_timer *t);

/* Monotonic time in ms, cached at the start of each loop iteration. */
int64_t loop_now_ms(const struct loop *loop);
/* The first instant after the cached time that is a whole multiple of step_ms on the
 * monotonic clock.  Periodic work set there (the once-a-second ticks, passive pollers'
 * polls) shares one wake-up of the loop instead of one each. */
int64_t loop_next_step_ms(const struct loop *loop, int64_t step_ms);
/* Refreshes and returns the cached monotonic time. */
int64_t loop_update_time(struct loop *loop);

/* Thread-safe: queues fn(loop, arg) to run on the loop thread and wakes the loop.
 * Returns 0 or -ENOMEM.  Ownership of arg passes to fn. */
int loop_post(struct loop *loop, loop_fn fn, void *arg);
/* Thread-safe: takes back the posts of fn not yet run whose arg drop(ctx, arg) claims
 * (true: it has disposed of arg), so that their owner can free what they carry when it
 * stops before the loop runs them (a worker pool's completions).  Returns how many. */
size_t loop_post_drop(struct loop *loop, loop_fn fn, bool (*drop)(void *ctx, void *arg),
		      void *ctx);

/* Clocks.  Monotonic for scheduling, wall clock only for sample timestamps. */
int64_t clock_mono_ms(void);
int64_t clock_wall_ms(void);

/* A wall clock step: the wall clock moved against the monotonic clock by at least this
 * between two looks (ms).  NTP steps from 128 ms; slewing moves it by at most 0.5 ms/s,
 * and a step under a second costs at most one archived value per series. */
#define LOOP_CLOCK_STEP_MS 1000

/* Called on the loop thread when the wall clock stepped by step_ms (> 0 forward, < 0
 * back), before any timer or I/O callback that could see the new time. */
typedef void (*loop_clock_fn)(struct loop *loop, int64_t step_ms, void *arg);
/* Moves a wall time *t_ms by a step (0, "never", stays 0): what a part does with the
 * times its durations count from. */
void clock_shift_ms(int64_t *t_ms, int64_t step_ms);
/* Sets the one wall clock step hook (fn NULL: none).  Loop thread only. */
void loop_set_clock_step_fn(struct loop *loop, loop_clock_fn fn, void *arg);

#endif
