/* Replies that come later (dcmon/api_route.h, api_later_new): a handler and a transport
 * meet here whichever comes first, the transport's wait or the handler's reply. */
#include "dcmon/api_route.h"

#include <stdlib.h>

struct api_later {
	api_later_fn fn;     /* the transport waiting, or NULL */
	void *arg;
	bool cancelled;      /* the client went away */
	bool answered;       /* the reply came before the wait: kept in resp */
	struct api_response resp;
};

struct api_later *api_later_new(struct api_response *resp)
{
	struct api_later *l = calloc(1, sizeof(*l));
	if (!l)
		api_reply_error(resp, 503, "out of memory");
	else
		resp->later = l;
	return l;
}

void api_later_wait(struct api_later *l, api_later_fn fn, void *arg)
{
	if (l->answered) {
		fn(arg, &l->resp);
		free(l);
		return;
	}
	l->fn = fn;
	l->arg = arg;
}

void api_later_cancel(struct api_later *l)
{
	if (l->answered) {
		api_response_free(&l->resp);
		free(l);
		return;
	}
	l->cancelled = true;
	l->fn = NULL;
}

void api_later_reply(struct api_later *l, struct api_response *resp)
{
	resp->later = NULL;
	if (l->fn) {
		l->fn(l->arg, resp);
	} else if (l->cancelled) {
		api_response_free(resp);
	} else {
		l->resp = *resp;
		l->answered = true;
		return;
	}
	free(l);
}
