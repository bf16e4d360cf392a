/* `dcmon user add|list|show|disable|enable|passwd|role|unlock|delete|token`: accounts
 * through /api/v1/users.  Over the Unix socket the caller is known by its peer
 * credentials (root is noc-admin), so the first noc-admin is added this way.  A
 * password is read from the terminal with echo off (twice), or as the first line of
 * standard input when that is not a terminal; never from the command line, where other
 * users would see it in ps. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "dcmon/loop.h"

#define USER_TARGET_MAX 256
#define USER_PW_MAX 1100 /* a little over the daemon's 1024 bytes: it says what is wrong */
#define USER_COLS 6
static const char *const user_headers[USER_COLS] = {"NAME", "ROLE", "SCOPE", "STATE",
						    "LAST LOGIN", "PASSWORD SET"};

struct user_opts {
	const char *role, *tenant, *site;
	bool json;
};

static int user_usage(FILE *f, int code)
{
	fprintf(f, "usage: dcmon user %s\n", cli_cmd_find("user")->usage);
	fputs("  add NAME --role ROLE [--tenant ID | --site ID]   password asked twice\n"
	      "  list | show NAME\n"
	      "  disable NAME | enable NAME | unlock NAME | delete NAME\n"
	      "  passwd NAME                                       new password asked twice\n"
	      "  role NAME --role ROLE [--tenant ID | --site ID]\n"
	      "  token NAME            a new API token for scripts, shown once\n"
	      "  mfa NAME              a TOTP second factor: QR code and recovery codes, once\n"
	      "  mfa-reset NAME        removes the second factor\n"
	      "  roles: noc-admin noc-operator security-admin auditor tenant-admin\n"
	      "         tenant-approver tenant-operator wall\n", f);
	return code;
}

/* One line from fd's terminal with echo off, or from stdin when not a terminal. */
static int read_line(const char *prompt, char *buf, size_t len)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios was, quiet;
	if (tty) {
		fputs(prompt, stderr);
		if (tcgetattr(STDIN_FILENO, &was) == 0) {
			quiet = was;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
	}
	char *r = fgets(buf, (int)len, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &was);
		fputc('\n', stderr);
	}
	if (!r)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* The new password into buf: asked twice on a terminal. */
static int read_password(const struct cli_ctx *ctx, char *buf, size_t len)
{
	char again[USER_PW_MAX];
	if (read_line("new password: ", buf, len) < 0) {
		fputs("dcmon user: no password given\n", ctx->err);
		return -1;
	}
	if (!isatty(STDIN_FILENO))
		return 0;
	int rc = read_line("again: ", again, sizeof(again)) == 0 && strcmp(buf, again) == 0 ? 0 : -1;
	explicit_bzero(again, sizeof(again));
	if (rc < 0)
		fputs("dcmon user: the passwords differ\n", ctx->err);
	return rc;
}

static void user_row_cells(json_t *u, char *scope, size_t slen, char *state, size_t stlen,
			   char *last, char *changed)
{
	const char *t = cli_jstr(u, "tenant"), *s = cli_jstr(u, "site");
	snprintf(scope, slen, "%s", strcmp(t, "-") ? t : strcmp(s, "-") ? s : "all");
	snprintf(state, stlen, "%s%s", json_is_true(json_object_get(u, "disabled")) ? "disabled"
				       : "active",
		 json_is_true(json_object_get(u, "locked")) ? ", locked" : "");
	cli_format_time(cli_jint(u, "last_login_ms"), last, 32);
	cli_format_time(cli_jint(u, "password_changed_ms"), changed, 32);
}

static void users_table(const struct cli_ctx *ctx, json_t *list)
{
	struct cli_table *t = cli_table_new(USER_COLS, user_headers);
	size_t i;
	json_t *u;
	json_array_foreach(list, i, u) {
		char scope[80], state[32], last[32], changed[32];
		user_row_cells(u, scope, sizeof(scope), state, sizeof(state), last, changed);
		const char *cells[USER_COLS] = {cli_jstr(u, "name"), cli_jstr(u, "role"), scope,
						state, last, changed};
		if (cli_table_add(t, cells) < 0)
			break;
	}
	cli_table_print(ctx, t);
	cli_table_free(t);
}

static int user_parse(const struct cli_ctx *ctx, int argc, char **argv, struct user_opts *o)
{
	static const struct option longopts[] = {
		{"role", required_argument, NULL, 'r'}, {"tenant", required_argument, NULL, 't'},
		{"site", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h')
			return user_usage(ctx->out, 0);
		if (c == '?')
			return user_usage(ctx->err, CLI_EXIT_UNKNOWN);
		if (c == 'r')
			o->role = optarg;
		else if (c == 't')
			o->tenant = optarg;
		else if (c == 's')
			o->site = optarg;
		o->json |= c == 'j';
	}
	return -1;
}

/* A new second factor: the QR code to scan, its URI, the recovery codes (shown once). */
static void print_mfa(const struct cli_ctx *ctx, json_t *reply)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(reply, "qr"), i, v)
		fprintf(ctx->out, "%s\n", json_string_value(v));
	fprintf(ctx->out, "%s\nrecovery codes (each works once; shown once):\n",
		cli_jstr(reply, "otpauth"));
	json_array_foreach(json_object_get(reply, "recovery_codes"), i, v)
		fprintf(ctx->out, "  %s\n", json_string_value(v));
}

/* Sends one request and prints the answer (its JSON with --json, else ok_line). */
static int user_call(const struct cli_ctx *ctx, const struct user_opts *o, const char *method,
		     const char *target, json_t *body, const char *ok_line, const char *name)
{
	json_t *reply;
	int rc = cli_call_json(ctx, method, target, body, &reply);
	json_decref(body);
	if (rc == 0 && o->json)
		cli_print_json(ctx, reply);
	else if (rc == 0 && json_is_string(json_object_get(reply, "token")))
		fprintf(ctx->out, "%s\n(shown once: dcmond keeps only its hash)\n",
			json_string_value(json_object_get(reply, "token")));
	else if (rc == 0 && json_is_string(json_object_get(reply, "otpauth")))
		print_mfa(ctx, reply);
	else if (rc == 0)
		fprintf(ctx->out, ok_line, name);
	json_decref(reply);
	return rc;
}

static json_t *role_body(const struct user_opts *o)
{
	json_t *b = json_pack("{s:s}", "role", o->role);
	if (o->tenant)
		json_object_set_new(b, "tenant", json_string(o->tenant));
	if (o->site)
		json_object_set_new(b, "site", json_string(o->site));
	return b;
}

/* b with the new password read (read_password) as key; NULL when none was given. */
static json_t *password_body(const struct cli_ctx *ctx, json_t *b, const char *key)
{
	char pw[USER_PW_MAX];
	if (!b || read_password(ctx, pw, sizeof(pw)) < 0) {
		json_decref(b);
		return NULL;
	}
	json_object_set_new(b, key, json_string(pw));
	explicit_bzero(pw, sizeof(pw));
	return b;
}

static int user_show(const struct cli_ctx *ctx, const struct user_opts *o, const char *target,
		     bool one)
{
	json_t *j = cli_get_json(ctx, target);
	if (!j)
		return CLI_EXIT_REFUSED;
	json_t *list = one ? json_pack("[O]", json_object_get(j, "user"))
			   : json_incref(json_object_get(j, "users"));
	if (o->json)
		cli_print_json(ctx, j);
	else if (json_array_size(list) == 0)
		fputs("no accounts\n", ctx->out);
	else
		users_table(ctx, list);
	json_decref(list);
	json_decref(j);
	return 0;
}

/* The action `verb NAME`. */
static int user_act(const struct cli_ctx *ctx, const struct user_opts *o, const char *verb,
		    const char *name, const char *target)
{
	char t[USER_TARGET_MAX];
	if (strcmp(verb, "add") == 0) {
		if (!o->role) {
			fputs("dcmon user add: --role is required\n", ctx->err);
			return CLI_EXIT_UNKNOWN;
		}
		json_t *b = password_body(ctx, role_body(o), "password");
		json_object_set_new(b, "name", json_string(name));
		return b ? user_call(ctx, o, "POST", "/api/v1/users", b, "user %s added\n", name)
			 : CLI_EXIT_UNKNOWN;
	}
	if (strcmp(verb, "show") == 0)
		return user_show(ctx, o, target, true);
	if (strcmp(verb, "delete") == 0)
		return user_call(ctx, o, "DELETE", target, NULL, "user %s deleted\n", name);
	if (strcmp(verb, "role") == 0 && !o->role) {
		fputs("dcmon user role: --role is required\n", ctx->err);
		return CLI_EXIT_UNKNOWN;
	}
	static const char *const verbs[][2] = {
		{"disable", "disable"}, {"enable", "enable"}, {"unlock", "unlock"},
		{"passwd", "password"}, {"role", "role"}, {"token", "tokens"}, {"mfa", "mfa"},
		{"mfa-reset", "mfa-reset"},
	};
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verb, verbs[i][0]) != 0)
			continue;
		snprintf(t, sizeof(t), "%s/%s", target, verbs[i][1]);
		json_t *b = strcmp(verb, "passwd") == 0 ? password_body(ctx, json_object(), "password")
			    : strcmp(verb, "role") == 0 ? role_body(o)
							 : json_object();
		return b ? user_call(ctx, o, "POST", t, b, "user %s: done\n", name)
			 : CLI_EXIT_UNKNOWN;
	}
	fprintf(ctx->err, "dcmon user: unknown action '%s'\n", verb);
	return user_usage(ctx->err, CLI_EXIT_UNKNOWN);
}

int cli_user(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct user_opts o = {0};
	if (argc < 2)
		return user_usage(ctx->err, CLI_EXIT_UNKNOWN);
	const char *verb = argv[1];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0)
		return user_usage(ctx->out, 0);
	int rc = user_parse(ctx, argc - 1, argv + 1, &o);
	if (rc >= 0)
		return rc;
	int nargs = argc - 1 - optind;
	const char *name = nargs > 0 ? argv[1 + optind] : NULL;
	if (strcmp(verb, "list") == 0)
		return nargs == 0 ? user_show(ctx, &o, "/api/v1/users", false)
				  : user_usage(ctx->err, CLI_EXIT_UNKNOWN);
	if (nargs != 1) {
		fprintf(ctx->err, "dcmon user %s: give one user name\n", verb);
		return CLI_EXIT_UNKNOWN;
	}
	char target[USER_TARGET_MAX] = "/api/v1/users/";
	if (strlen(name) > 64 || strpbrk(name, "/?%#&")) {
		fprintf(ctx->err, "dcmon user: bad user name '%s'\n", name);
		return CLI_EXIT_UNKNOWN;
	}
	strcat(target, name);
	return user_act(ctx, &o, verb, name, target);
}

/* `dcmon passwd`: one's own password (the account named like the caller), the current
 * one first; the account's web sessions end. */
int cli_passwd(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fprintf(ctx->out, "usage: dcmon passwd\n  changes your own account's password: the "
			"current one, then the new one twice\n  (from a terminal; else two lines of "
			"standard input); your web sessions end\n");
		return 0;
	}
	if (argc != 1) {
		fputs("usage: dcmon passwd\n", ctx->err);
		return CLI_EXIT_UNKNOWN;
	}
	char old[USER_PW_MAX];
	if (read_line("current password: ", old, sizeof(old)) < 0) {
		fputs("dcmon passwd: no password given\n", ctx->err);
		return CLI_EXIT_UNKNOWN;
	}
	json_t *b = password_body(ctx, json_pack("{s:s}", "password", old), "new_password");
	explicit_bzero(old, sizeof(old));
	if (!b)
		return CLI_EXIT_UNKNOWN;
	json_t *reply;
	int rc = cli_call_json(ctx, "POST", "/api/v1/password", b, &reply);
	json_decref(b);
	if (rc == 0)
		fprintf(ctx->out, "password of %s changed; %lld web sessions ended\n",
			json_string_value(json_object_get(reply, "user")),
			(long long)cli_jint(reply, "sessions_ended"));
	json_decref(reply);
	return rc;
}
