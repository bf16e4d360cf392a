/* `dcmon silence SELECTOR... --for 2h|--until TIME --reason TEXT [--every DAYS --from
 * HH:MM --to HH:MM [--tz ZONE]]`: a silence (maintenance window) through POST
 * /api/v1/silences.  Arguments are checked here for clear messages; what dcmond still
 * refuses (a bad duration, an unknown time zone) is shown as its 400 message. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "dcmon/loop.h"

struct silence_opts {
	json_t *body;           /* the request being built */
	const char *dur, *until, *reason, *every, *from, *to, *tz;
	const char *site; /* at a hub: the site to send the silence to */
	bool json;
};

static int silence_usage(FILE *f, int code)
{
	fprintf(f, "usage: dcmon silence %s\n", cli_cmd_find("silence")->usage);
	fputs("  SELECTOR           KEY=VALUE pairs, all must match: device=GLOB, kind=K,\n"
	      "                     site=ID, room=ID, tenant=ID, metric=GLOB, inst=GLOB,\n"
	      "                     label.NAME=VALUE, rule=NAME\n"
	      "  --for DURATION     from now, for this long (30m, 2h, 1d)\n"
	      "  --until TIME       until \"2026-01-02 15:04\", 15:04 (next) or @UNIXSECONDS\n"
	      "  --reason TEXT      why (required; shown with every alert it silences)\n"
	      "  --every DAYS       recurring: on these days (sun,mon,...,sat), from --from\n"
	      "                     to --to (HH:MM; an end before the start is the next day)\n"
	      "  --tz ZONE          time zone of the recurring window (default: dcmond's)\n"
	      "  --site SITE        at a hub: send the silence to SITE, which applies it as\n"
	      "                     the hub's account (docs/MQTT.md \"Commands\")\n"
	      "  --json             print dcmond's answer as JSON\n"
	      "A recurring silence without --for/--until holds until removed (unsilence).\n", f);
	return code;
}

/* Checks that the options go together; prints the reason and returns false if not. */
static bool silence_coherent(const struct cli_ctx *ctx, const struct silence_opts *o)
{
	const char *why = NULL;
	if (!json_object_get(o->body, "match") && !json_object_get(o->body, "rule"))
		why = "give a selector like device=ups-* metric=battery_*";
	else if (!o->reason || !o->reason[0])
		why = "--reason TEXT is required";
	else if (o->dur && o->until)
		why = "give --for or --until, not both";
	else if (!o->every && !o->dur && !o->until)
		why = "give --for DURATION or --until TIME (or a recurring --every)";
	else if (o->every && (!o->from || !o->to))
		why = "--every needs --from HH:MM and --to HH:MM";
	else if (!o->every && (o->from || o->to || o->tz))
		why = "--from, --to and --tz go with --every";
	if (why)
		fprintf(ctx->err, "dcmon silence: %s\n", why);
	return why == NULL;
}

/* Puts the time fields into the body; false after printing the reason. */
static bool silence_times(const struct cli_ctx *ctx, struct silence_opts *o)
{
	char err[256];
	int64_t now = clock_wall_ms(), ends;
	json_t *b = o->body;
	if (o->until && cli_parse_time(o->until, now, &ends) < 0) {
		fprintf(ctx->err, "dcmon silence: bad --until '%s' (expected \"2026-01-02 15:04\", "
			"15:04 or @UNIXSECONDS)\n", o->until);
		return false;
	}
	if (o->until && ends <= now) {
		fprintf(ctx->err, "dcmon silence: --until '%s' is in the past\n", o->until);
		return false;
	}
	if (o->until)
		json_object_set_new(b, "ends_ms", json_integer(ends));
	if (o->dur)
		json_object_set_new(b, "for", json_string(o->dur));
	json_object_set_new(b, "reason", json_string(o->reason));
	if (!o->every)
		return true;
	json_t *days = cli_days_parse(o->every, err, sizeof(err));
	if (!days) {
		fprintf(ctx->err, "dcmon silence: %s\n", err);
		return false;
	}
	json_object_set_new(b, "days", days);
	json_object_set_new(b, "start", json_string(o->from));
	json_object_set_new(b, "end", json_string(o->to));
	if (o->tz)
		json_object_set_new(b, "tz", json_string(o->tz));
	return true;
}

/* Parses argv into o; returns -1 when done, else the exit code to return at once. */
static int silence_parse(const struct cli_ctx *ctx, int argc, char **argv,
			 struct silence_opts *o)
{
	static const struct option longopts[] = {
		{"for", required_argument, NULL, 'f'}, {"until", required_argument, NULL, 'u'},
		{"reason", required_argument, NULL, 'r'}, {"every", required_argument, NULL, 'e'},
		{"from", required_argument, NULL, 'F'}, {"to", required_argument, NULL, 'T'},
		{"tz", required_argument, NULL, 'z'}, {"json", no_argument, NULL, 'j'},
		{"site", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char **slot[128] = {['f'] = &o->dur, ['u'] = &o->until, ['r'] = &o->reason,
				  ['e'] = &o->every, ['F'] = &o->from, ['T'] = &o->to,
				  ['z'] = &o->tz, ['s'] = &o->site};
	int c;
	char err[256];
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h')
			return silence_usage(ctx->out, 0);
		if (c == '?')
			return silence_usage(ctx->err, CLI_EXIT_UNKNOWN);
		o->json |= c == 'j';
		if (c > 0 && c < 128 && slot[c])
			*slot[c] = optarg;
	}
	for (int i = optind; i < argc; i++) {
		if (cli_selector_add(o->body, argv[i], err, sizeof(err)) < 0) {
			fprintf(ctx->err, "dcmon silence: %s\n", err);
			return CLI_EXIT_UNKNOWN;
		}
	}
	if (!silence_coherent(ctx, o) || !silence_times(ctx, o))
		return CLI_EXIT_UNKNOWN;
	return -1;
}

int cli_silence(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct silence_opts o = {.body = json_object()};
	json_t *reply = NULL;
	int rc = o.body ? silence_parse(ctx, argc, argv, &o) : CLI_EXIT_UNKNOWN;
	if (rc < 0 && o.site) {
		rc = cli_site_command(ctx, o.site, "silence", 0, o.body, o.json, "the silence");
		json_decref(o.body);
		return rc;
	}
	if (rc < 0)
		rc = cli_call_json(ctx, "POST", "/api/v1/silences", o.body, &reply);
	if (rc == 0 && o.json)
		cli_print_json(ctx, reply);
	else if (rc == 0)
		fprintf(ctx->out, "silence %lld added (see dcmon silences)\n",
			(long long)cli_jint(reply, "id"));
	json_decref(reply);
	json_decref(o.body);
	return rc;
}
