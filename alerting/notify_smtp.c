/* One SMTP session with libesmtp, on a worker thread: STARTTLS (required, opportunistic
 * or off) or SMTPS (through notify_tls_bridge) with a verified server certificate, AUTH
 * (never in clear unless auth_without_tls), per-step timeouts, and the fate of every
 * message and recipient read back from the server's replies. */
#include "notify_int.h"
#include "notify_tls_bridge.h"

#include <openssl/ssl.h> /* before libesmtp.h: it declares smtp_starttls_set_ctx then */
#include <auth-client.h>
#include <libesmtp.h>
#include <stdio.h>
#include <string.h>

void notify_smtp_init(void)
{
	static bool done;

	if (!done) {
		auth_client_init();
		done = true;
	}
}

enum notify_result notify_smtp_classify(int code)
{
	if (code >= 200 && code < 300)
		return NOTIFY_RES_SENT;
	if (code >= 500 && code < 600)
		return NOTIFY_RES_PERM;
	return NOTIFY_RES_TEMP;
}

/* AUTH asks for user and password. */
static int smtp_interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	struct notify_smtp_job *job = arg;

	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_PASS)
			result[i] = job->password;
		else if (req[i].flags & AUTH_USER)
			result[i] = job->user;
		else
			result[i] = NULL;
	}
	return 1;
}

/* True when the password must not leave without TLS: AUTH is configured, the relay is
 * not SMTPS, and AUTH in clear was not allowed with auth_without_tls. */
static bool smtp_auth_needs_tls(const struct notify_smtp_job *job)
{
	return job->user && !job->smtps && !job->auth_without_tls;
}

/* TLS problems are remembered so the session error says what went wrong; the
 * certificate is never accepted when it does not verify. */
static void smtp_event(smtp_session_t s, int event, void *arg, ...)
{
	struct notify_smtp_job *job = arg;
	const char *what = NULL;

	switch (event) {
	case SMTP_EV_INVALID_PEER_CERTIFICATE:
		what = "server certificate does not verify";
		break;
	case SMTP_EV_NO_PEER_CERTIFICATE:
		what = "server sent no certificate";
		break;
	case SMTP_EV_WRONG_PEER_CERTIFICATE:
		what = "server certificate is for another host";
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		what = smtp_auth_needs_tls(job) && job->starttls != SMTP_STARTTLS_REQUIRED
			       ? "server does not offer STARTTLS: the password is not sent in "
				 "clear (auth_without_tls: false)"
			       : "server does not offer STARTTLS";
		break;
	default:
		return;
	}
	snprintf(job->why, sizeof(job->why), "%s", what);
}

/* The job of this worker's session, for the verify callback (which has no argument). */
static _Thread_local struct notify_smtp_job *smtp_tls_job;

static int smtp_verify(int ok, X509_STORE_CTX *x)
{
	if (!ok && smtp_tls_job)
		snprintf(smtp_tls_job->why, sizeof(smtp_tls_job->why),
			 "server certificate does not verify: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)));
	return ok;
}

static void smtp_timeouts(smtp_session_t s, long ms)
{
	static const int which[] = {Timeout_GREETING, Timeout_ENVELOPE, Timeout_DATA,
				    Timeout_TRANSFER, Timeout_DATA2};
	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++)
		smtp_set_timeout(s, which[i] | Timeout_OVERRIDE_RFC2822_MINIMUM, ms);
}

/* Reads back what the server said about message i. */
static void smtp_message_result(struct notify_smtp_msg *m, smtp_message_t msg, smtp_recipient_t r,
				const char *session_why)
{
	const smtp_status_t *rev = smtp_reverse_path_status(msg);
	const smtp_status_t *rs = smtp_recipient_status(r);
	const smtp_status_t *ts = smtp_message_transfer_status(msg);
	const smtp_status_t *bad = NULL;

	if (rev && rev->code && notify_smtp_classify(rev->code) != NOTIFY_RES_SENT)
		bad = rev;
	else if (!rs || notify_smtp_classify(rs->code) != NOTIFY_RES_SENT)
		bad = rs;
	else if (!ts || notify_smtp_classify(ts->code) != NOTIFY_RES_SENT)
		bad = ts;
	if (!bad) {
		m->result = NOTIFY_RES_SENT;
		m->why[0] = '\0';
		return;
	}
	m->result = bad->code ? notify_smtp_classify(bad->code) : NOTIFY_RES_TEMP;
	if (!bad->code && session_why[0]) /* never got that far: the session says why */
		snprintf(m->why, sizeof(m->why), "%s", session_why);
	else
		snprintf(m->why, sizeof(m->why), "%d %s", bad->code,
			 bad->text ? bad->text : "no reply");
	m->why[strcspn(m->why, "\r\n")] = '\0';
}

/* Sets up messages, runs the session, reads back results.  A failed SMTPS relay
 * (bridge, may be NULL) is the root cause of whatever libesmtp saw. */
static void smtp_session_run(struct notify_smtp_job *job, smtp_session_t s,
			     struct notify_tls_bridge *bridge)
{
	smtp_message_t msgs[job->nmsgs ? job->nmsgs : 1];
	smtp_recipient_t rcpts[job->nmsgs ? job->nmsgs : 1];
	char buf[128];

	for (size_t i = 0; i < job->nmsgs; i++) {
		msgs[i] = smtp_add_message(s);
		smtp_set_reverse_path(msgs[i], job->from);
		smtp_set_message_str(msgs[i], (void *)job->msgs[i].text);
		rcpts[i] = smtp_add_recipient(msgs[i], job->msgs[i].rcpt);
	}
	int started = smtp_start_session(s);
	int e = smtp_errno(); /* e.g. the TLS handshake failed: no reply to anything */
	if (bridge)
		notify_tls_bridge_stop(bridge, job->why, sizeof(job->why));
	if (!started) {
		if (!job->why[0])
			snprintf(job->why, sizeof(job->why), "%s",
				 smtp_strerror(e, buf, sizeof(buf)));
		for (size_t i = 0; i < job->nmsgs; i++) {
			job->msgs[i].result = NOTIFY_RES_TEMP;
			snprintf(job->msgs[i].why, sizeof(job->msgs[i].why), "%s", job->why);
		}
		return;
	}
	job->connected = true;
	if (!job->why[0] && e != 0)
		snprintf(job->why, sizeof(job->why), "%s", smtp_strerror(e, buf, sizeof(buf)));
	for (size_t i = 0; i < job->nmsgs; i++)
		smtp_message_result(&job->msgs[i], msgs[i], rcpts[i], job->why);
}

void notify_smtp_run(struct notify_smtp_job *job)
{
	smtp_session_t s = smtp_create_session();
	auth_context_t auth = NULL;
	SSL_CTX *ctx = NULL;
	struct notify_tls_bridge *bridge = NULL;
	const char *server = job->host;

	job->why[0] = '\0';
	job->connected = false;
	smtp_tls_job = job;
	if (job->smtps && notify_tls_bridge_open(job->host, job->ca_file, job->timeout_ms,
						  &bridge, job->why, sizeof(job->why)) < 0)
		goto fail; /* why says: refused, timed out, certificate, handshake */
	if (bridge)
		server = notify_tls_bridge_addr(bridge); /* libesmtp talks to the bridge */
	if (!s || smtp_set_server(s, server) == 0) {
		snprintf(job->why, sizeof(job->why), "cannot set up an SMTP session");
		goto fail;
	}
	smtp_timeouts(s, job->timeout_ms);
	smtp_set_eventcb(s, smtp_event, job);
	if ((job->starttls != SMTP_STARTTLS_OFF || smtp_auth_needs_tls(job)) && !job->smtps) {
		if (!(ctx = notify_tls_ctx_new(job->ca_file, smtp_verify))) {
			snprintf(job->why, sizeof(job->why), "cannot load CA %s",
				 job->ca_file ? job->ca_file : "(system)");
			goto fail;
		}
		/* libesmtp 1.1 reads whenever its socket is readable, also right after the
		 * STARTTLS handshake: a TLS 1.3 server's session tickets come after the
		 * handshake, and a client that reaches its poll after them (a loaded machine)
		 * reads them, finds no reply and waits, without sending its EHLO, for one the
		 * server sends only after that EHLO, until the timeout, every session.  In
		 * TLS 1.2 tickets are part of the handshake.  SMTPS (tls: true) goes through
		 * dcmond's own TLS (notify_tls_bridge.c) and keeps TLS 1.3. */
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
		smtp_starttls_set_ctx(s, ctx);
		/* opportunistic falls back to clear text only when there is no password */
		smtp_starttls_enable(s, job->starttls == SMTP_STARTTLS_REQUIRED ||
						smtp_auth_needs_tls(job)
					? Starttls_REQUIRED
					: Starttls_ENABLED);
	}
	if (job->user) {
		auth = auth_create_context();
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, smtp_interact, job);
		smtp_auth_set_context(s, auth);
	}
	smtp_session_run(job, s, bridge);
	smtp_tls_job = NULL;
	smtp_destroy_session(s);
	notify_tls_bridge_free(bridge);
	SSL_CTX_free(ctx); /* libesmtp does not free the context it was given */
	if (auth)
		auth_destroy_context(auth);
	return;
fail:
	smtp_tls_job = NULL;
	if (s)
		smtp_destroy_session(s);
	notify_tls_bridge_free(bridge);
	SSL_CTX_free(ctx);
	for (size_t i = 0; i < job->nmsgs; i++) {
		job->msgs[i].result = NOTIFY_RES_TEMP;
		snprintf(job->msgs[i].why, sizeof(job->msgs[i].why), "%s", job->why);
	}
}
