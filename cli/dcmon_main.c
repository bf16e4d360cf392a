/* `dcmon`: the command-line client of dcmond.  Global options, then a subcommand from
 * the table in cli/commands.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

static int main_usage(FILE *f, int code)
{
	fputs("usage: dcmon [--socket PATH] [--timeout SECONDS] COMMAND [OPTIONS]\n"
	      "       dcmon --help | --version | help COMMAND\n\n"
	      "  --socket PATH      dcmond's API socket (default $DCMON_SOCKET or "
	      CLI_DEFAULT_SOCKET ")\n"
	      "  --timeout SECONDS  give up on dcmond after this long (default 10)\n\n"
	      "commands:\n", f);
	for (size_t i = 0; i < cli_ncmds; i++)
		fprintf(f, "  %-10s %s\n", cli_cmds[i].name, cli_cmds[i].summary);
	return code;
}

/* `dcmon help [COMMAND]` */
static int main_help(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return main_usage(ctx->out, 0);
	const struct cli_cmd *c = cli_cmd_find(argv[1]);
	if (!c) {
		fprintf(ctx->err, "dcmon: unknown command '%s'\n", argv[1]);
		return CLI_EXIT_UNKNOWN;
	}
	char *args[] = {(char *)c->name, "--help", NULL};
	return c->run(ctx, 2, args);
}

/* Terminal width, or CLI_WIDTH when stdout is not a terminal. */
static int out_width(bool tty)
{
	struct winsize ws;
	if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return CLI_WIDTH;
}

static bool want_color(bool tty)
{
	const char *term = getenv("TERM");
	return tty && !getenv("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
}

/* Parses --timeout; 0 or -1 on a bad value. */
static int parse_timeout(const char *s, struct cli_ctx *ctx)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0 && v <= 3600))
		return -1;
	ctx->timeout_ms = (int64_t)(v * 1000);
	return 0;
}

/* Global options; returns the index of the command, or -(exit code + 1) to stop. */
static int main_options(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'}, {"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "+s:t:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			ctx->socket_path = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, ctx) == 0)
				break;
			fprintf(ctx->err, "dcmon: bad --timeout '%s' (seconds, up to 3600)\n", optarg);
			return -(CLI_EXIT_UNKNOWN + 1);
		case 'h':
			return -(main_usage(ctx->out, 0) + 1);
		case 'V':
			fprintf(ctx->out, "dcmon %s\n", DCMON_VERSION);
			return -1;
		default:
			return -(main_usage(ctx->err, CLI_EXIT_UNKNOWN) + 1);
		}
	}
	if (optind >= argc) {
		fputs("dcmon: no command given\n", ctx->err);
		return -(main_usage(ctx->err, CLI_EXIT_UNKNOWN) + 1);
	}
	return optind;
}

int main(int argc, char **argv)
{
	bool tty = isatty(STDOUT_FILENO);
	const char *env_sock = getenv("DCMON_SOCKET");
	struct cli_ctx ctx = {
		.socket_path = env_sock && env_sock[0] ? env_sock : CLI_DEFAULT_SOCKET,
		.timeout_ms = CLI_TIMEOUT_MS,
		.color = want_color(tty),
		.width = out_width(tty),
		.cut = tty,
		.out = stdout,
		.err = stderr,
	};
	int first = main_options(argc, argv, &ctx);
	if (first < 0)
		return -first - 1;
	argc -= first;
	argv += first;
	if (strcmp(argv[0], "help") == 0)
		return main_help(&ctx, argc, argv);
	const struct cli_cmd *cmd = cli_cmd_find(argv[0]);
	if (!cmd) {
		fprintf(ctx.err, "dcmon: unknown command '%s' (see dcmon --help)\n", argv[0]);
		return CLI_EXIT_UNKNOWN;
	}
	char prog[64]; /* getopt's messages then read "dcmon status: ..." */
	snprintf(prog, sizeof(prog), "dcmon %s", cmd->name);
	argv[0] = prog;
	return cmd->run(&ctx, argc, argv);
}
