/* dcmond: the dcmon daemon.  Runs in the foreground (systemd, or the demo script). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "dcmon/log.h"

#define DEFAULT_CONFIG "/etc/dcmon/dcmon.yaml"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dcmond [-c FILE] [-d] [--log-level LEVEL] [--syslog]\n"
		"       dcmond --check-config [FILE]   (or -t)\n"
		"\n"
		"  -c, --config FILE     configuration (default " DEFAULT_CONFIG ")\n"
		"  -t, --check-config    validate the configuration and exit: 0 valid, 1 not\n"
		"  -d, --debug           log at debug level\n"
		"      --log-level L     error, warn, info or debug (overrides the config)\n"
		"      --syslog          log to syslog instead of stderr\n"
		"  -V, --version         print the version\n"
		"  -h, --help            this text\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM/SIGINT stop cleanly.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 't'},
		{"debug", no_argument, NULL, 'd'},
		{"log-level", required_argument, NULL, 'L'},
		{"syslog", no_argument, NULL, 'S'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct daemon_opts opts = {.config_path = DEFAULT_CONFIG};
	int check = 0, c;
	while ((c = getopt_long(argc, argv, "c:tdVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': opts.config_path = optarg; break;
		case 't': check = 1; break;
		case 'd':
			opts.log_level_set = true;
			opts.log_level = LOG_LVL_DEBUG;
			break;
		case 'L':
			if (log_level_parse(optarg, &opts.log_level) < 0) {
				fprintf(stderr, "dcmond: --log-level: expected error, warn, info "
						"or debug, got '%s'\n", optarg);
				return 2;
			}
			opts.log_level_set = true;
			break;
		case 'S': log_use_syslog(true, "dcmond"); break;
		case 'V': printf("dcmond %s\n", DCMON_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		if (!check || optind + 1 != argc) {
			usage(stderr);
			return 2;
		}
		opts.config_path = argv[optind];
	}
	if (check)
		return daemon_check_config(opts.config_path);
	return daemon_main(&opts);
}
