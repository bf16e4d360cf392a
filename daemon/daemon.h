/* dcmond's life: start-up, the main loop, reload on SIGHUP, clean stop on SIGTERM. */
#ifndef DCMON_DAEMON_H
#define DCMON_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "dcmon/log.h"

struct daemon_opts {
	const char *config_path;
	bool log_level_set;     /* command line overrides the config's log_level */
	enum log_level log_level;
};

/* Runs dcmond until SIGTERM/SIGINT.  Returns the process exit code. */
int daemon_main(const struct daemon_opts *opts);

/* Loads and validates a config, printing every diagnostic to stderr.  Returns 0 if it is
 * valid (warnings allowed), 1 otherwise. */
int daemon_check_config(const char *path);

/* Raises the soft RLIMIT_NOFILE to the hard limit (daemon_nofile.c).  *was and *now
 * get the soft limit before and after.  Returns 0 or a negative errno. */
int daemon_raise_nofile(uint64_t *was, uint64_t *now);

/* daemon_raise_nofile() with one log line saying what the limit is. */
void daemon_log_nofile(void);

#endif
