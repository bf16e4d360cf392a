/* `dcmon maintenance request DEVICE --for DURATION|--until TIME --reason TEXT`, `list`,
 * `approve ID`, `reject ID --reason TEXT`, `end ID`: maintenance entries (a window of
 * work asked by one account and approved by another, docs/ACCOUNTS.md "Maintenance")
 * through /api/v1/maintenance.  Over the Unix socket the account is the local user
 * (daemon.accounts.local_users), so the approval comes from another login. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "dcmon/loop.h"

#define MAINT_COLS 9
static const char *const maint_headers[MAINT_COLS] = {
	"ID", "STATE", "DEVICE", "TENANT", "FROM", "UNTIL", "REQUESTED BY", "APPROVED BY",
	"REASON"};

struct maint_opts {
	const char *dur, *until, *reason;
	bool json;
};

static int maint_usage(FILE *f, int code)
{
	fprintf(f, "usage: dcmon maintenance %s\n", cli_cmd_find("maintenance")->usage);
	fputs("  request DEVICE     ask for a window of work on DEVICE (an id or a glob):\n"
	      "                     --for DURATION or --until TIME, and --reason TEXT\n"
	      "  list               the entries, newest first\n"
	      "  approve ID         approve another account's request: its devices' alerts\n"
	      "                     are silenced and logins on them are approved work\n"
	      "  reject ID          refuse it, with --reason TEXT\n"
	      "  end ID             end an approved window (or withdraw a pending one)\n"
	      "  --json             print dcmond's answer as JSON\n", f);
	return code;
}

static void maint_table(const struct cli_ctx *ctx, json_t *list)
{
	struct cli_table *t = cli_table_new(MAINT_COLS, maint_headers);
	size_t i;
	json_t *m;
	json_array_foreach(list, i, m) {
		char id[24], from[32], until[32], state[24];
		cli_jint_text(m, "id", id, sizeof(id));
		snprintf(state, sizeof(state), "%s%s", cli_jstr(m, "state"),
			 json_is_true(json_object_get(m, "active")) ? " (active)" : "");
		cli_format_time(cli_jint(m, "starts_ms"), from, sizeof(from));
		cli_format_time(cli_jint(m, "ends_ms"), until, sizeof(until));
		bool approved = cli_jint(m, "silence_id") > 0;
		/* "-": the NOC's entry; a tenant's own names it */
		const char *cells[MAINT_COLS] = {id, state, cli_jstr(m, "device"),
						 cli_jstr(m, "tenant"), from, until,
						 cli_jstr(m, "requested_by"),
						 approved ? cli_jstr(m, "decided_by") : "-",
						 cli_jstr(m, "reason")};
		if (cli_table_add(t, cells) < 0)
			break;
	}
	cli_table_print(ctx, t);
	cli_table_free(t);
}

static int maint_list(const struct cli_ctx *ctx, bool json)
{
	json_t *j = cli_get_json(ctx, "/api/v1/maintenance");
	if (!j)
		return CLI_EXIT_UNKNOWN;
	json_t *list = json_object_get(j, "maintenance");
	if (json)
		cli_print_json(ctx, j);
	else if (json_array_size(list) == 0)
		fputs("no maintenance entries\n", ctx->out);
	else
		maint_table(ctx, list);
	json_decref(j);
	return 0;
}

/* The request's body; NULL after printing why. */
static json_t *maint_request_body(const struct cli_ctx *ctx, const char *device,
				  const struct maint_opts *o)
{
	int64_t now = clock_wall_ms(), ends = 0;
	const char *why = NULL;
	if (!o->reason || !o->reason[0])
		why = "--reason TEXT is required";
	else if (!o->dur == !o->until)
		why = "give --for DURATION or --until TIME (one of them)";
	else if (o->until && (cli_parse_time(o->until, now, &ends) < 0 || ends <= now))
		why = "bad --until (expected \"2026-01-02 15:04\", 15:04 or @UNIXSECONDS, later "
		      "than now)";
	if (why) {
		fprintf(ctx->err, "dcmon maintenance: %s\n", why);
		return NULL;
	}
	json_t *b = json_pack("{s:s s:s}", "device", device, "reason", o->reason);
	if (b && o->dur)
		json_object_set_new(b, "for", json_string(o->dur));
	else if (b)
		json_object_set_new(b, "ends_ms", json_integer(ends));
	return b;
}

/* Sends one action's request and prints the entry it answers with. */
static int maint_call(const struct cli_ctx *ctx, const char *method, const char *target,
		      json_t *body, bool json, const char *done)
{
	json_t *reply = NULL;
	int rc = cli_call_json(ctx, method, target, body, &reply);
	if (rc == 0 && json)
		cli_print_json(ctx, reply);
	else if (rc == 0)
		fprintf(ctx->out, "maintenance %lld %s\n",
			(long long)cli_jint(reply, "id"), done);
	json_decref(reply);
	json_decref(body);
	return rc;
}

/* approve, reject, end: the entry's id in argv[0]. */
static int maint_act(const struct cli_ctx *ctx, const char *verb, const char *arg,
		     const struct maint_opts *o)
{
	long long id;
	char target[64];
	if (!arg || cli_parse_id(arg, &id) < 0) {
		fprintf(ctx->err, "dcmon maintenance %s: give an entry's id (dcmon maintenance "
			"list)\n", verb);
		return CLI_EXIT_UNKNOWN;
	}
	if (strcmp(verb, "end") == 0) {
		snprintf(target, sizeof(target), "/api/v1/maintenance/%lld", id);
		return maint_call(ctx, "DELETE", target, NULL, o->json, "ended");
	}
	bool approve = strcmp(verb, "approve") == 0;
	if (!approve && (!o->reason || !o->reason[0])) {
		fprintf(ctx->err, "dcmon maintenance reject: --reason TEXT is required\n");
		return CLI_EXIT_UNKNOWN;
	}
	snprintf(target, sizeof(target), "/api/v1/maintenance/%lld/%s", id, verb);
	json_t *b = approve ? json_object() : json_pack("{s:s}", "reason", o->reason);
	return maint_call(ctx, "POST", target, b, o->json, approve ? "approved" : "rejected");
}

int cli_maintenance(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"for", required_argument, NULL, 'f'}, {"until", required_argument, NULL, 'u'},
		{"reason", required_argument, NULL, 'r'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	struct maint_opts o = {0};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h')
			return maint_usage(ctx->out, 0);
		if (c == '?')
			return maint_usage(ctx->err, CLI_EXIT_UNKNOWN);
		o.json |= c == 'j';
		if (c == 'f')
			o.dur = optarg;
		else if (c == 'u')
			o.until = optarg;
		else if (c == 'r')
			o.reason = optarg;
	}
	int nargs = argc - optind;
	const char *verb = nargs > 0 ? argv[optind] : "list";
	const char *arg = nargs > 1 ? argv[optind + 1] : NULL;
	if (nargs > 2 || (strcmp(verb, "list") == 0 && nargs > 1)) {
		fprintf(ctx->err, "dcmon maintenance: unexpected argument '%s'\n", argv[argc - 1]);
		return CLI_EXIT_UNKNOWN;
	}
	if (strcmp(verb, "list") == 0)
		return maint_list(ctx, o.json);
	if (strcmp(verb, "request") == 0) {
		json_t *b = arg ? maint_request_body(ctx, arg, &o) : NULL;
		if (!arg)
			fprintf(ctx->err, "dcmon maintenance request: give a DEVICE (an id or a glob)\n");
		return b ? maint_call(ctx, "POST", "/api/v1/maintenance", b, o.json,
				      "requested: another account approves it (dcmon maintenance "
				      "approve ID)")
			 : CLI_EXIT_UNKNOWN;
	}
	if (strcmp(verb, "approve") == 0 || strcmp(verb, "reject") == 0 || strcmp(verb, "end") == 0)
		return maint_act(ctx, verb, arg, &o);
	fprintf(ctx->err, "dcmon maintenance: unknown action '%s' (request, list, approve, "
		"reject, end)\n", verb);
	return CLI_EXIT_UNKNOWN;
}
