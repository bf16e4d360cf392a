/* The one authorization point (dcmon/authz.h): every role x every action x every scope
 * against the specification written out here independently of core/authz.c's table, the
 * device scopes of two tenants side by side (own, shared chain and cooling, other), and
 * the actor of a Unix socket peer. */
#include "testing.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/authz.h"
#include "dcmon/config.h"

/* What the issue says each role may do (docs/ACCOUNTS.md), as strings: a role's actions. */
static const char *const spec[AUTHZ_ROLE_COUNT] = {
	[AUTHZ_ROLE_NONE] = "self", /* an HTTP reader without credentials: the login only */
	[AUTHZ_ROLE_NOC_ADMIN] = "self view ack silence test-mode audit-read notify-admin "
				 "accounts-read accounts-manage recipients layer-request layer-apply "
				 "layer-approve layer-lock maintenance maintenance-approve",
	[AUTHZ_ROLE_NOC_OPERATOR] = "self view ack silence test-mode maintenance",
	[AUTHZ_ROLE_SECURITY_ADMIN] = "self accounts-read accounts-manage",
	[AUTHZ_ROLE_AUDITOR] = "self audit-read",
	[AUTHZ_ROLE_TENANT_ADMIN] = "self view ack accounts-read accounts-manage recipients layer-request "
				    "layer-apply layer-approve maintenance maintenance-approve",
	/* a tenant's own maintenance entries: its operator asks, its approver approves */
	[AUTHZ_ROLE_TENANT_APPROVER] = "self view ack layer-request layer-approve maintenance-approve",
	[AUTHZ_ROLE_TENANT_OPERATOR] = "self view ack layer-request maintenance",
	[AUTHZ_ROLE_WALL] = "self view",
};

static bool spec_allows(enum authz_role r, enum authz_action a)
{
	char word[40];
	snprintf(word, sizeof(word), " %s ", authz_action_name(a));
	char padded[256];
	snprintf(padded, sizeof(padded), " %s ", spec[r]);
	return strstr(padded, word) != NULL;
}

static struct authz_actor actor_of(enum authz_role r, const char *tenant)
{
	struct authz_actor a = {.role = r};
	snprintf(a.name, sizeof(a.name), "%s", authz_role_name(r));
	snprintf(a.tenant, sizeof(a.tenant), "%s", tenant ? tenant : "");
	return a;
}

/* The expected answer: another tenant's object is hidden whatever the action (for a
 * scoped actor), then the role's permissions, then shared infrastructure is view-only. */
static enum authz_result expected(enum authz_role r, bool scoped, enum authz_action a,
				  enum authz_scope s)
{
	if (scoped && s == AUTHZ_SCOPE_OTHER)
		return AUTHZ_HIDE;
	if (!spec_allows(r, a))
		return r == AUTHZ_ROLE_NONE ? AUTHZ_LOGIN : AUTHZ_DENY; /* who asks? 401 */
	if (scoped && s == AUTHZ_SCOPE_SHARED && a != AUTHZ_ACT_VIEW)
		return AUTHZ_DENY;
	return AUTHZ_ALLOW;
}

static void test_matrix_every_role_action_scope(void **state)
{
	int checked = 0;
	for (int r = AUTHZ_ROLE_NONE; r < AUTHZ_ROLE_COUNT; r++) {
		bool scoped = authz_role_needs_tenant((enum authz_role)r) || r == AUTHZ_ROLE_WALL;
		struct authz_actor a = actor_of((enum authz_role)r, scoped ? "acme" : NULL);
		for (int act = AUTHZ_ACT_VIEW; act < AUTHZ_ACT_COUNT; act++)
			for (int s = AUTHZ_SCOPE_ALL; s <= AUTHZ_SCOPE_OTHER; s++) {
				struct authz_object o = {.scope = (enum authz_scope)s};
				enum authz_result want = expected((enum authz_role)r, scoped,
								  (enum authz_action)act, o.scope);
				enum authz_result got = authz_check(&a, (enum authz_action)act, &o);
				if (got != want)
					fail_msg("%s %s scope %d: got %d, want %d", a.name,
						 authz_action_name((enum authz_action)act), s, got, want);
				checked++;
			}
	}
	assert_int_equal(checked, AUTHZ_ROLE_COUNT * (AUTHZ_ACT_COUNT - 1) * 4);
	/* nobody is denied everything, even a view */
	assert_int_equal(authz_check(NULL, AUTHZ_ACT_VIEW, NULL), AUTHZ_DENY);
	assert_int_equal(authz_http_status(AUTHZ_HIDE), 404);
	assert_int_equal(authz_http_status(AUTHZ_DENY), 403);
	assert_int_equal(authz_http_status(AUTHZ_LOGIN), 401);
}

/* http.anonymous: auto reads while no account exists; none and wall whatever the store. */
static void test_anonymous_policy_and_actor(void **state)
{
	assert_true(authz_anonymous_reads(AUTHZ_ANON_AUTO, false));
	assert_false(authz_anonymous_reads(AUTHZ_ANON_AUTO, true));
	assert_false(authz_anonymous_reads(AUTHZ_ANON_NONE, false));
	assert_false(authz_anonymous_reads(AUTHZ_ANON_NONE, true));
	assert_true(authz_anonymous_reads(AUTHZ_ANON_WALL, true));
	struct authz_actor a;
	authz_anonymous_actor(&a, true, "127.0.0.1:5000");
	assert_string_equal(a.name, "anonymous");
	assert_int_equal(a.role, AUTHZ_ROLE_WALL);
	assert_false(authz_actor_scoped(&a));
	assert_int_equal(authz_check(&a, AUTHZ_ACT_VIEW, NULL), AUTHZ_ALLOW);
	authz_anonymous_actor(&a, false, "127.0.0.1:5000");
	assert_int_equal(authz_check(&a, AUTHZ_ACT_VIEW, NULL), AUTHZ_LOGIN);
	assert_int_equal(authz_check(&a, AUTHZ_ACT_ACK, NULL), AUTHZ_LOGIN);
	assert_int_equal(authz_check(&a, AUTHZ_ACT_SELF, NULL), AUTHZ_ALLOW); /* the login */
}

static void test_no_role_erases_audit_and_names_round_trip(void **state)
{
	for (int r = AUTHZ_ROLE_NOC_ADMIN; r < AUTHZ_ROLE_COUNT; r++) {
		enum authz_role back;
		assert_int_equal(authz_role_parse(authz_role_name((enum authz_role)r), &back), 0);
		assert_int_equal(back, r);
	}
	enum authz_role x;
	assert_int_equal(authz_role_parse("none", &x), -EINVAL);
	assert_int_equal(authz_role_parse("root", &x), -EINVAL);
	/* the device JSON's "scope" */
	assert_string_equal(authz_scope_name(AUTHZ_SCOPE_OWN), "own");
	assert_string_equal(authz_scope_name(AUTHZ_SCOPE_SHARED), "shared");
	assert_string_equal(authz_scope_name(AUTHZ_SCOPE_OTHER), "other");
	assert_string_equal(authz_scope_name(AUTHZ_SCOPE_ALL), "all");
}

static struct cfg *load_two_tenants(void)
{
	char path[PATH_MAX];
	struct cfg_diags d;
	snprintf(path, sizeof(path), "%s/tests/unit/data/accounts/two_tenants.yaml",
		 DCMON_SOURCE_DIR);
	cfg_diags_init(&d);
	struct cfg *cfg = cfg_load(path, &d);
	if (!cfg)
		cfg_diags_print(&d, stdout);
	cfg_diags_free(&d);
	assert_non_null(cfg);
	return cfg;
}

static enum authz_scope scope_of(const struct cfg *cfg, const enum authz_scope *s,
				 const char *id)
{
	const struct cfg_device *d = cfg_device_find(cfg, id);
	assert_non_null(d);
	return s[d - cfg->devices];
}

static void test_device_scopes_two_tenants(void **state)
{
	struct cfg *cfg = load_two_tenants();
	enum authz_scope s[32];
	assert_true(cfg->ndevices < 32);
	struct authz_actor acme = actor_of(AUTHZ_ROLE_TENANT_OPERATOR, "acme");
	authz_device_scopes(cfg, &acme, s);
	assert_int_equal(scope_of(cfg, s, "acme-web"), AUTHZ_SCOPE_OWN);   /* its rack's tenant */
	assert_int_equal(scope_of(cfg, s, "pdu-a01"), AUTHZ_SCOPE_OWN);    /* in its rack */
	assert_int_equal(scope_of(cfg, s, "ups-a"), AUTHZ_SCOPE_SHARED);   /* feeds it */
	assert_int_equal(scope_of(cfg, s, "utility"), AUTHZ_SCOPE_SHARED); /* feeds the UPS */
	assert_int_equal(scope_of(cfg, s, "crac-a"), AUTHZ_SCOPE_SHARED);  /* cools its room */
	assert_int_equal(scope_of(cfg, s, "globex-db"), AUTHZ_SCOPE_OTHER);
	assert_int_equal(scope_of(cfg, s, "pdu-a02"), AUTHZ_SCOPE_OTHER);  /* globex's */
	assert_int_equal(scope_of(cfg, s, "crac-b"), AUTHZ_SCOPE_OTHER);   /* another room */
	assert_int_equal(scope_of(cfg, s, "ups-b"), AUTHZ_SCOPE_OTHER);    /* feeds no acme */

	struct authz_actor globex = actor_of(AUTHZ_ROLE_TENANT_OPERATOR, "globex");
	authz_device_scopes(cfg, &globex, s);
	assert_int_equal(scope_of(cfg, s, "globex-db"), AUTHZ_SCOPE_OWN);
	assert_int_equal(scope_of(cfg, s, "acme-web"), AUTHZ_SCOPE_OTHER);
	assert_int_equal(scope_of(cfg, s, "pdu-a01"), AUTHZ_SCOPE_OTHER);
	assert_int_equal(scope_of(cfg, s, "ups-a"), AUTHZ_SCOPE_SHARED);

	/* the one-device form agrees: a view of the shared UPS, no ack on it, 404 for acme's */
	const struct cfg_device *ups = cfg_device_find(cfg, "ups-a");
	const struct cfg_device *web = cfg_device_find(cfg, "acme-web");
	assert_int_equal(authz_device_check(cfg, &globex, AUTHZ_ACT_VIEW, ups), AUTHZ_ALLOW);
	assert_int_equal(authz_device_check(cfg, &globex, AUTHZ_ACT_ACK, ups), AUTHZ_DENY);
	assert_int_equal(authz_device_check(cfg, &globex, AUTHZ_ACT_VIEW, web), AUTHZ_HIDE);
	assert_int_equal(authz_device_check(cfg, &globex, AUTHZ_ACT_ACK, web), AUTHZ_HIDE);

	struct authz_actor noc = actor_of(AUTHZ_ROLE_NOC_OPERATOR, NULL);
	authz_device_scopes(cfg, &noc, s);
	for (size_t i = 0; i < cfg->ndevices; i++)
		assert_int_equal(s[i], AUTHZ_SCOPE_ALL);
	struct authz_actor wall = actor_of(AUTHZ_ROLE_WALL, NULL);
	snprintf(wall.site, sizeof(wall.site), "elsewhere");
	assert_int_equal(authz_device_check(cfg, &wall, AUTHZ_ACT_VIEW, web), AUTHZ_HIDE);
	cfg_free(cfg);
}

static void test_local_actor_root_self_mapped_refused(void **state)
{
	struct authz_local_user map[] = {
		{.user = "alice", .role = AUTHZ_ROLE_TENANT_OPERATOR, .tenant = "acme"},
	};
	struct authz_actor a;
	assert_int_equal(authz_local_actor(0, "root", map, 1, "unix:pid=1", &a), 0);
	assert_int_equal(a.role, AUTHZ_ROLE_NOC_ADMIN);
	assert_int_equal(authz_local_actor(geteuid(), "me", NULL, 0, "unix:pid=1", &a), 0);
	assert_int_equal(a.role, AUTHZ_ROLE_NOC_ADMIN);
	uid_t other = geteuid() == 4242 ? 4243 : 4242;
	assert_int_equal(authz_local_actor(other, "alice", map, 1, "unix:pid=2", &a), 0);
	assert_int_equal(a.role, AUTHZ_ROLE_TENANT_OPERATOR);
	assert_string_equal(a.tenant, "acme");
	assert_string_equal(a.source, "unix:pid=2");
	assert_int_equal(authz_local_actor(other, "mallory", map, 1, "unix:pid=3", &a), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_every_role_action_scope),
		cmocka_unit_test(test_anonymous_policy_and_actor),
		cmocka_unit_test(test_no_role_erases_audit_and_names_round_trip),
		cmocka_unit_test(test_device_scopes_two_tenants),
		cmocka_unit_test(test_local_actor_root_self_mapped_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
