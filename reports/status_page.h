/* The status page (docs/REPORTS.md "Status page"): the current state of each component
 * (a named group of devices), 90 daily bars of availability and the incidents with their
 * operators' notes, for the actor's own devices or, public, for the components the NOC
 * chose in `daemon.reports.status_page`.  Private to the reports part. */
#ifndef DCMON_STATUS_PAGE_H
#define DCMON_STATUS_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "dcmon/api_route.h"
#include "dcmon/cfgtree.h"

#define STATUS_PAGE_DAYS 90
/* Pages built at once on the worker pool (each holds one of its workers, which the
 * pollers and the reports share); another is answered 503 "busy" and may be asked again. */
#define STATUS_PAGE_JOBS_MAX 2

/* `daemon.reports.status_page:` */
struct cfg_status_component {
	char *name;
	char **devices;
	size_t ndevices;
	struct cfg_pos pos;
};
/* Components (one per device) of a page of one's devices at most, unless
 * `max_own_components` says otherwise: past that, 422 and the public page's components. */
#define STATUS_PAGE_OWN_MAX_DEFAULT 1000
struct cfg_status_page {
	bool public_page; /* `public:`, default false: /status/public answers 404 */
	int max_own_components; /* 0: STATUS_PAGE_OWN_MAX_DEFAULT */
	struct cfg_status_component *components;
	size_t ncomponents;
};
extern const struct cfg_key status_page_cfg_keys[];

/* GET /api/v1/status-page: the actor's devices, one component each.
 * GET /api/v1/status-page/public: the chosen components, to anyone. */
void api_get_status_page(const struct api_ctx *ctx, struct api_response *resp);
void api_get_public_status(const struct api_ctx *ctx, struct api_response *resp);
/* The page of tenant's devices and the shared infrastructure feeding them, as its
 * accounts see it (a secret URL's). */
void status_page_reply_tenant(const struct api_ctx *ctx, struct api_response *resp,
			      const char *tenant);

/* Answers the pages still being built 503 (the stop, once the worker pool is gone). */
void status_pages_drop(void);

/* Secret URLs (status_token.c): POST/GET /api/v1/status-tokens, DELETE
 * /api/v1/status-tokens/ID, GET /api/v1/status-page/s/TOKEN. */
void api_post_status_token(const struct api_ctx *ctx, struct api_response *resp);
void api_get_status_tokens(const struct api_ctx *ctx, struct api_response *resp);
void api_delete_status_token(const struct api_ctx *ctx, struct api_response *resp);
void api_get_shared_status(const struct api_ctx *ctx, struct api_response *resp);

#define STATUS_UPDATE_MAX 4000 /* bytes of an incident's status update */
/* POST /api/v1/status-updates/INCIDENT {"status": investigating|identified|monitoring|
 * resolved, "text"}: an operator's update of an incident on the status page, audited
 * (`status-update`) before it is kept. */
void api_post_status_update(const struct api_ctx *ctx, struct api_response *resp);
/* Adds "updates" [{ts_ms, status, text}] to each incident of incidents (by its id), from
 * state_dir's status.db; any thread.  0, or -EIO when it cannot be read (none added). */
int status_updates_add(const char *state_dir, json_t *incidents);

#endif
