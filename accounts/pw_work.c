/* Password work on the worker pool: a yescrypt check or hash takes ~70 ms (cost 6), so
 * a login, `user add` or `passwd` answers later (dcmon/api_route.h, api_later) while the
 * loop serves others; the rest of the request (the store, the audit log, the session)
 * runs on the loop thread when the work is done.  Without workers (tools, unit tests)
 * the work runs at once. */
#include "accounts_int.h"

#include <stdlib.h>
#include <string.h>

#include "dcmon/workq.h"

void accounts_set_workers(struct accounts *a, struct workq *wq)
{
	if (a)
		a->wq = wq;
}

struct pw_job *pw_job_new(pw_finish_fn finish)
{
	struct pw_job *j = calloc(1, sizeof(*j));
	if (j)
		j->finish = finish;
	return j;
}

static void secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void pw_job_free(struct pw_job *j)
{
	if (!j)
		return;
	secret_free(j->password);
	secret_free(j->new_password);
	free(j->name);
	secret_free(j->code);
	free(j->session);
	explicit_bzero(j, sizeof(*j));
	free(j);
}

/* On a worker: nothing here but the hash, which touches no shared state. */
static void pw_work(void *arg)
{
	struct pw_job *j = arg;
	j->match = j->password && secret_check_password(j->password, j->hash);
	if (j->new_password && (j->match || !j->password))
		j->rc = secret_hash_password(j->new_password, j->cost, j->new_hash,
					     sizeof(j->new_hash));
}

static void pw_unlink(struct accounts *a, struct pw_job *j)
{
	for (struct pw_job **p = &a->jobs; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			a->njobs--;
			return;
		}
	}
}

/* On the loop thread: finishes the request as it was asked and hands the answer over. */
static void pw_done(struct loop *loop, void *arg)
{
	struct pw_job *j = arg;
	(void)loop;
	pw_unlink(j->a, j);
	struct api_request req = {.method = "POST", .path = "", .actor = &j->actor,
				  .session = j->session};
	struct api_ctx ctx = {.env = &j->env, .req = &req, .tail = "", .now_ms = j->now_ms,
			      .part = j->part};
	struct api_response resp = {0};
	j->finish(j, &ctx, &resp);
	api_later_reply(j->later, &resp);
	pw_job_free(j);
}

/* Keeps of the request what the finish reads: the config may be reloaded meanwhile, so
 * the copy of the environment has none (finishers use the store's own, accounts_cfg). */
static int pw_capture(struct pw_job *j, const struct api_ctx *ctx)
{
	j->a = accounts_of(ctx);
	j->part = ctx->part;
	j->env = *ctx->env;
	j->env.cfg = NULL;
	j->actor = *ctx->req->actor;
	j->now_ms = ctx->now_ms;
	if (ctx->req->session && !(j->session = strdup(ctx->req->session)))
		return -1;
	return 0;
}

void pw_job_run(const struct api_ctx *ctx, struct pw_job *j, struct api_response *resp)
{
	struct accounts *a = accounts_of(ctx);
	j->cost = accounts_cfg(a)->yescrypt_cost;
	if (!a->wq) { /* no workers: at once */
		pw_work(j);
		j->finish(j, ctx, resp);
		pw_job_free(j);
		return;
	}
	if (a->njobs >= ACCOUNTS_PW_JOBS_MAX) {
		api_reply_error(resp, 503, "busy: %d password checks are waiting, try again",
				ACCOUNTS_PW_JOBS_MAX);
		pw_job_free(j);
		return;
	}
	if (pw_capture(j, ctx) < 0 || !(j->later = api_later_new(resp))) {
		if (!resp->body)
			api_reply_error(resp, 503, "out of memory");
		pw_job_free(j);
		return;
	}
	j->next = a->jobs;
	a->jobs = j;
	a->njobs++;
	if (workq_submit(a->wq, pw_work, pw_done, j) < 0) { /* no memory to queue: here */
		pw_work(j);
		pw_done(NULL, j);
	}
}

void pw_jobs_drop(struct accounts *a)
{
	while (a->jobs) { /* their completion never came: the worker pool is gone */
		struct pw_job *j = a->jobs;
		a->jobs = j->next;
		struct api_response resp = {0};
		api_reply_error(&resp, 503, "dcmond is stopping");
		api_later_reply(j->later, &resp);
		pw_job_free(j);
	}
	a->njobs = 0;
}
