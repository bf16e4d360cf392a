/* `dcmon report availability --period P [--tenant T] [--format text|json|html|pdf]
 * [--output FILE]`: the availability report of GET /api/v1/reports/availability
 * (docs/REPORTS.md).  PDF is the report's HTML printed by headless Chromium (Debian's
 * chromium package; $DCMON_CHROMIUM names another binary): the one layout the API
 * serves, paginated by a maintained browser engine, with no PDF written by hand. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPORT_TARGET_MAX 1024
#define PDF_TIMEOUT "120" /* seconds Chromium may take to print (timeout(1)) */

extern char **environ;

struct report_opts {
	const char *period, *tenant, *format, *output;
};

static int report_usage(FILE *f, int code)
{
	fprintf(f, "usage: dcmon report %s\n", cli_cmd_find("report")->usage);
	fputs("  --period P         2026-11 (a month), 2026-W47 (an ISO week), 2026 (a year) or\n"
	      "                     2026-11-01..2026-11-15 (any range, end excluded), in UTC\n"
	      "  --tenant T         the tenant's report: its objects and the shared\n"
	      "                     infrastructure feeding them (default: everything, the NOC's)\n"
	      "  --format F         text (default), json, html or pdf\n"
	      "  --output FILE      write there instead of stdout (pdf: default\n"
	      "                     availability-PERIOD.pdf)\n", f);
	return code;
}

static int parse(int argc, char **argv, struct report_opts *o)
{
	static const struct option longopts[] = {
		{"period", required_argument, NULL, 'p'}, {"tenant", required_argument, NULL, 't'},
		{"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	int c;
	*o = (struct report_opts){.format = "text"};
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == '?' || c == 'h')
			return c;
		o->period = c == 'p' ? optarg : o->period;
		o->tenant = c == 't' ? optarg : o->tenant;
		o->format = c == 'f' ? optarg : o->format;
		o->output = c == 'o' ? optarg : o->output;
	}
	if (optind != argc - 1 || strcmp(argv[optind], "availability") != 0 || !o->period)
		return '?';
	if (strcmp(o->format, "text") && strcmp(o->format, "json") && strcmp(o->format, "html") &&
	    strcmp(o->format, "pdf"))
		return '?';
	return 0;
}

/* The report's body in format (pdf asks for html); NULL after printing why. */
static char *fetch(const struct cli_ctx *ctx, const struct report_opts *o, const char *format,
		   size_t *len)
{
	char target[REPORT_TARGET_MAX] = "/api/v1/reports/availability", err[512];
	struct cli_reply r;
	if (cli_query_add(target, sizeof(target), "period", o->period) < 0 ||
	    (o->tenant && cli_query_add(target, sizeof(target), "tenant", o->tenant) < 0) ||
	    cli_query_add(target, sizeof(target), "format", format) < 0) {
		fprintf(ctx->err, "dcmon: arguments too long\n");
		return NULL;
	}
	if (cli_request(ctx, "GET", target, NULL, &r, err, sizeof(err)) < 0) {
		fprintf(ctx->err, "dcmon: %s\n", err);
		return NULL;
	}
	if (r.status < 200 || r.status >= 300) {
		json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
		const char *msg = json_string_value(json_object_get(j, "error"));
		fprintf(ctx->err, "dcmon: %s\n", msg ? msg : "request failed");
		json_decref(j);
		cli_reply_free(&r);
		return NULL;
	}
	*len = r.body_len;
	return r.body;
}

static int write_all(const char *path, const char *data, size_t len, FILE *err)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(err, "dcmon: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Runs Chromium on dir/report.html, printing to pdf; 0 or -1 after saying why. */
static int print_pdf(const struct cli_ctx *ctx, const char *dir, const char *pdf)
{
	char html[512], profile[512], out[1100], url[540];
	const char *chromium = getenv("DCMON_CHROMIUM") ? getenv("DCMON_CHROMIUM") : "chromium";
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(url, sizeof(url), "file://%s", html);
	snprintf(profile, sizeof(profile), "--user-data-dir=%s/profile", dir);
	snprintf(out, sizeof(out), "--print-to-pdf=%s", pdf);
	char *const args[] = {"timeout", PDF_TIMEOUT, (char *)chromium, "--headless",
			      "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", profile,
			      out, url, NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int rc = posix_spawnp(&pid, "timeout", &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0 && access(pdf, R_OK) == 0)
		return 0;
	fprintf(ctx->err, "dcmon: %s could not print the report to %s (is the chromium package "
			  "installed?)\n",
		chromium, pdf);
	return -1;
}

static int report_pdf(const struct cli_ctx *ctx, const struct report_opts *o)
{
	char dir[] = "/tmp/dcmon-report-XXXXXX", html[64], pdf[256], cmd[64];
	size_t len;
	char *body = fetch(ctx, o, "html", &len);
	int rc = CLI_EXIT_UNKNOWN;
	if (!body)
		return CLI_EXIT_REFUSED;
	if (o->output)
		snprintf(pdf, sizeof(pdf), "%s", o->output);
	else
		snprintf(pdf, sizeof(pdf), "availability-%s.pdf", o->period);
	if (mkdtemp(dir)) {
		snprintf(html, sizeof(html), "%s/report.html", dir);
		if (write_all(html, body, len, ctx->err) == 0 && print_pdf(ctx, dir, pdf) == 0) {
			fprintf(ctx->err, "dcmon: wrote %s\n", pdf);
			rc = 0;
		}
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir); /* Chromium's profile too */
		if (system(cmd) != 0)
			fprintf(ctx->err, "dcmon: could not remove %s\n", dir);
	}
	free(body);
	return rc;
}

int cli_report(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct report_opts o;
	int p = parse(argc, argv, &o);
	size_t len;
	if (p == 'h')
		return report_usage(ctx->out, 0);
	if (p)
		return report_usage(ctx->err, CLI_EXIT_UNKNOWN);
	if (strcmp(o.format, "pdf") == 0)
		return report_pdf(ctx, &o);
	char *body = fetch(ctx, &o, o.format, &len);
	if (!body)
		return CLI_EXIT_REFUSED;
	int rc = 0;
	if (o.output)
		rc = write_all(o.output, body, len, ctx->err) < 0 ? CLI_EXIT_UNKNOWN : 0;
	else
		fwrite(body, 1, len, ctx->out);
	free(body);
	return rc;
}
