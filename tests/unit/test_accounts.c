/* The account store (accounts/): yescrypt hashes, the password policy, logins with
 * lockout on a clock the test moves, API tokens kept as hashes. */
#include "testing.h"
#include "tmpdir.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts_int.h"
#include "dcmon/metric.h"

struct fx {
	char dir[64];
	struct accounts *a;
	struct cfg_accounts cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/dcmon-acc.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	accounts_cfg_init(&f->cfg, &(struct cfgnode){0}, NULL);
	f->cfg.yescrypt_cost = 3; /* fast for tests; the cost is a parameter of the hash */
	f->cfg.lock_failures = 3;
	f->cfg.lock_window_ms = 60000;
	f->cfg.lock_base_ms = 10000;
	f->cfg.lock_max_ms = 25000;
	char err[256] = "";
	f->a = accounts_open(f->dir, &f->cfg, err, sizeof(err));
	if (!f->a)
		fail_msg("%s", err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	accounts_free(f->a);
	assert_int_equal(test_tmpdir_remove(f->dir), 0);
	free(f);
	return 0;
}

static void add(struct fx *f, const char *name, enum authz_role role, const char *tenant,
		const char *pw)
{
	struct account acc = {.role = role, .created_ms = 1, .password_changed_ms = 1};
	snprintf(acc.name, sizeof(acc.name), "%s", name);
	snprintf(acc.tenant, sizeof(acc.tenant), "%s", tenant ? tenant : "");
	assert_int_equal(secret_hash_password(pw, f->cfg.yescrypt_cost, acc.hash, sizeof(acc.hash)), 0);
	assert_int_equal(account_insert(f->a, &acc), 0);
}

static void test_yescrypt_hash_and_check(void **state)
{
	char h[ACCOUNT_HASH_MAX];
	assert_int_equal(secret_hash_password("correct horse", 6, h, sizeof(h)), 0);
	assert_memory_equal(h, "$y$jAT$", 7); /* yescrypt, cost 6 */
	assert_true(secret_check_password("correct horse", h));
	assert_false(secret_check_password("correct horsf", h));
	assert_false(secret_check_password("", h));
	char h2[ACCOUNT_HASH_MAX];
	assert_int_equal(secret_hash_password("correct horse", 6, h2, sizeof(h2)), 0);
	assert_string_not_equal(h, h2); /* salted */
}

static void test_password_policy(void **state)
{
	struct fx *f = *state;
	assert_non_null(accounts_password_refusal(&f->cfg, "alice", "short"));
	assert_non_null(accounts_password_refusal(&f->cfg, "alice", NULL));
	assert_non_null(accounts_password_refusal(&f->cfg, "averylongusername",
						  "AVeryLongUserName"));
	assert_null(accounts_password_refusal(&f->cfg, "alice", "twelve chars"));
	char big[ACCOUNTS_PASSWORD_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_non_null(accounts_password_refusal(&f->cfg, "alice", big));
}

static void test_login_lockout_grows_and_unlocks(void **state)
{
	struct fx *f = *state;
	struct authz_actor a;
	add(f, "alice", AUTHZ_ROLE_NOC_OPERATOR, NULL, "right password");
	int64_t t = 1000000;
	assert_int_equal(accounts_login(f->a, "alice", "right password", NULL, "test", t, &a), 0);
	assert_string_equal(a.name, "alice");
	assert_int_equal(a.role, AUTHZ_ROLE_NOC_OPERATOR);
	/* failures spread wider than the window never lock */
	for (int i = 0; i < 5; i++)
		assert_int_equal(accounts_login(f->a, "alice", "wrong", NULL, "test", t += 61000, &a), -EACCES);
	assert_int_equal(accounts_login(f->a, "alice", "right password", NULL, "test", t += 1, &a), 0);
	/* three within the window lock for lock_time: even the right password is refused */
	for (int i = 0; i < 3; i++)
		assert_int_equal(accounts_login(f->a, "alice", "wrong", NULL, "test", t += 1000, &a), -EACCES);
	assert_int_equal(accounts_login(f->a, "alice", "right password", NULL, "test", t + 9000, &a),
			 -EACCES);
	t += 10001;
	/* the lock ran out; three more failures lock for twice as long (20 s) */
	for (int i = 0; i < 3; i++)
		assert_int_equal(accounts_login(f->a, "alice", "wrong", NULL, "test", t += 10, &a), -EACCES);
	assert_int_equal(accounts_login(f->a, "alice", "right password", NULL, "test", t + 19000, &a),
			 -EACCES);
	struct account acc;
	assert_int_equal(account_get(f->a, "alice", &acc), 0);
	assert_int_equal(acc.locked_until_ms, t + 20000);
	assert_int_equal(acc.locks, 2);
	/* a third lock is capped at lock_time_max (25 s, not 40 s) */
	t += 20001;
	for (int i = 0; i < 3; i++)
		accounts_login(f->a, "alice", "wrong", NULL, "test", t += 10, &a);
	assert_int_equal(account_get(f->a, "alice", &acc), 0);
	assert_int_equal(acc.locked_until_ms, t + 25000);
	/* unlock (dcmon user unlock) lets the right password in at once */
	assert_int_equal(account_unlock(f->a, "alice"), 0);
	assert_int_equal(accounts_login(f->a, "alice", "right password", NULL, "test", t + 1, &a), 0);
	assert_int_equal(account_get(f->a, "alice", &acc), 0);
	assert_int_equal(acc.last_login_ms, t + 1);
}

/* The login watch's metrics (account_locked_state, login_failed_accounts_count) are
 * reported at the tick after a failure and then only every few seconds: every report is
 * an archive update and a rule evaluation per account. */
static void test_login_watch_reports_on_change(void **state)
{
	struct fx *f = *state;
	struct authz_actor a;
	add(f, "alice", AUTHZ_ROLE_NOC_OPERATOR, NULL, "right password");
	add(f, "bob", AUTHZ_ROLE_NOC_OPERATOR, NULL, "other password");
	struct metric_reg *reg = metric_reg_new();
	int64_t t = 1000000;
	login_watch_report(f->a, reg, t);
	struct metric *alice = metric_reg_find(reg, "dcmond", "account_locked_state", "alice");
	assert_non_null(alice);
	assert_int_equal(alice->ts_ms, t);
	uint64_t reports = metric_reg_reports(reg);
	for (int i = 1; i <= 4; i++) /* a second each, nothing new: nothing reported */
		login_watch_report(f->a, reg, t + i * 1000);
	assert_int_equal(metric_reg_reports(reg), reports);
	/* three failures lock alice: the next tick reports it */
	for (int i = 0; i < 3; i++)
		accounts_login(f->a, "alice", "wrong", NULL, "10.0.0.9", t + 4100 + i, &a);
	login_watch_report(f->a, reg, t + 4500);
	assert_int_equal(alice->ts_ms, t + 4500);
	assert_int_equal((int)alice->value, 1);
	struct metric *src = metric_reg_find(reg, "dcmond", "login_failed_accounts_count",
					     "10.0.0.9");
	assert_non_null(src);
	assert_int_equal((int)src->value, 1);
	/* with nothing new, every account is reported again within half its interval */
	login_watch_report(f->a, reg, t + 9000);
	assert_int_equal(alice->ts_ms, t + 4500);
	login_watch_report(f->a, reg, t + 9500);
	assert_int_equal(metric_reg_find(reg, "dcmond", "account_locked_state", "bob")->ts_ms,
			 t + 9500);
	metric_reg_free(reg);
}

/* Between its reads of the store the report sends what it read: a lock ends and a
 * failure leaves the window by the clock alone, an account added is reported at the
 * next report, and an edit of accounts.db by another program within a minute. */
static void test_login_watch_between_reads(void **state)
{
	struct fx *f = *state;
	struct authz_actor a;
	add(f, "alice", AUTHZ_ROLE_NOC_OPERATOR, NULL, "right password");
	struct metric_reg *reg = metric_reg_new();
	int64_t t = 1000000;
	for (int i = 0; i < 3; i++) /* locked until t + 10000; failures in the window to t + 60000 */
		accounts_login(f->a, "alice", "wrong", NULL, "10.0.0.9", t + i, &a);
	login_watch_report(f->a, reg, t + 100);
	struct metric *alice = metric_reg_find(reg, "dcmond", "account_locked_state", "alice");
	struct metric *src = metric_reg_find(reg, "dcmond", "login_failed_accounts_count",
					     "10.0.0.9");
	assert_non_null(alice);
	assert_non_null(src);
	assert_int_equal((int)alice->value, 1);
	assert_int_equal((int)src->value, 1);
	/* the lock runs out: 0 at the first report after it */
	login_watch_report(f->a, reg, t + 5100);
	assert_int_equal((int)alice->value, 1);
	login_watch_report(f->a, reg, t + 10100);
	assert_int_equal((int)alice->value, 0);
	assert_int_equal(alice->ts_ms, t + 10100);
	/* an account added is in the next report */
	add(f, "carol", AUTHZ_ROLE_NOC_OPERATOR, NULL, "carols password");
	login_watch_report(f->a, reg, t + 15100);
	struct metric *carol = metric_reg_find(reg, "dcmond", "account_locked_state", "carol");
	assert_non_null(carol);
	assert_int_equal(carol->ts_ms, t + 15100);
	/* a failed login under a name that is no account (no account row changes) is in the
	 * next report */
	accounts_login(f->a, "nobody-here", "wrong", NULL, "10.0.0.7", t + 15200, &a);
	login_watch_report(f->a, reg, t + 17600);
	struct metric *src7 = metric_reg_find(reg, "dcmond", "login_failed_accounts_count",
					      "10.0.0.7");
	assert_non_null(src7);
	assert_int_equal((int)src7->value, 1);
	/* the failures leave the window (60 s): the address reports 0 once, then nothing */
	for (int64_t at = t + 20100; at < t + 60000; at += 5000) {
		login_watch_report(f->a, reg, at);
		assert_int_equal((int)src->value, 1);
	}
	login_watch_report(f->a, reg, t + 60100);
	assert_int_equal((int)src->value, 0);
	assert_int_equal(src->ts_ms, t + 60100);
	login_watch_report(f->a, reg, t + 65100);
	assert_int_equal(src->ts_ms, t + 60100);
	/* another program locks carol in accounts.db: seen within WATCH_REREAD_MS */
	char path[128];
	snprintf(path, sizeof(path), "%s/accounts.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 1000);
	assert_int_equal(sqlite3_exec(db, "UPDATE accounts SET locked_until_ms = 9000000 "
					  "WHERE name = 'carol'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	int64_t at = t + 70100;
	while (carol->value == 0 && at <= t + 65100 + 60000) {
		login_watch_report(f->a, reg, at);
		at += 5000;
	}
	assert_int_equal((int)carol->value, 1);
	metric_reg_free(reg);
}

/* A reload that narrows lock_window counts the failures anew at the next report. */
static void test_login_watch_reload_window(void **state)
{
	struct fx *f = *state;
	struct authz_actor a;
	add(f, "alice", AUTHZ_ROLE_NOC_OPERATOR, NULL, "right password");
	struct metric_reg *reg = metric_reg_new();
	int64_t t = 1000000;
	accounts_login(f->a, "alice", "wrong", NULL, "10.0.0.9", t, &a);
	login_watch_report(f->a, reg, t + 100);
	struct metric *src = metric_reg_find(reg, "dcmond", "login_failed_accounts_count",
					     "10.0.0.9");
	assert_non_null(src);
	assert_int_equal((int)src->value, 1);
	struct cfg_accounts narrow = f->cfg;
	narrow.lock_window_ms = 5000;
	accounts_reload(f->a, &narrow);
	login_watch_report(f->a, reg, t + 5100);
	assert_int_equal((int)src->value, 0);
	assert_int_equal(src->ts_ms, t + 5100);
	accounts_reload(f->a, &f->cfg); /* teardown frees f->a after narrow is gone */
	metric_reg_free(reg);
}

static void test_wrong_user_and_disabled_answer_alike(void **state)
{
	struct fx *f = *state;
	struct authz_actor a;
	add(f, "bob", AUTHZ_ROLE_TENANT_OPERATOR, "acme", "bobs password");
	assert_int_equal(accounts_login(f->a, "nobody-here", "bobs password", NULL, "t", 1, &a), -EACCES);
	assert_int_equal(accounts_login(f->a, "bob", "not his", NULL, "t", 1, &a), -EACCES);
	assert_int_equal(accounts_login(f->a, NULL, NULL, NULL, "t", 1, &a), -EACCES);
	assert_int_equal(account_set_disabled(f->a, "bob", true), 0);
	assert_int_equal(accounts_login(f->a, "bob", "bobs password", NULL, "t", 2, &a), -EACCES);
	assert_int_equal(account_set_disabled(f->a, "bob", false), 0);
	assert_int_equal(accounts_login(f->a, "bob", "bobs password", NULL, "t", 3, &a), 0);
	assert_string_equal(a.tenant, "acme");
}

static void test_api_token_hashed_and_disabled(void **state)
{
	struct fx *f = *state;
	add(f, "script", AUTHZ_ROLE_NOC_OPERATOR, NULL, "script password");
	char tok[80], h[65];
	assert_int_equal(secret_new_token(tok, sizeof(tok)), 0);
	assert_int_equal(strlen(tok), 4 + 64);
	secret_sha256_hex(tok, h);
	assert_int_equal(account_token_insert(f->a, "script", h, 5), 0);
	struct authz_actor a;
	assert_int_equal(accounts_token_actor(f->a, tok, "http:1.2.3.4:5", &a), 0);
	assert_string_equal(a.name, "script");
	assert_string_equal(a.source, "http:1.2.3.4:5");
	tok[10] ^= 1;
	assert_int_equal(accounts_token_actor(f->a, tok, "x", &a), -ENOENT);
	tok[10] ^= 1;
	assert_int_equal(accounts_token_actor(f->a, "not-a-token", "x", &a), -ENOENT);
	assert_int_equal(account_set_disabled(f->a, "script", true), 0);
	assert_int_equal(accounts_token_actor(f->a, tok, "x", &a), -EACCES);
	/* deleting the account deletes its tokens */
	assert_int_equal(account_delete(f->a, "script"), 0);
	assert_int_equal(accounts_token_actor(f->a, tok, "x", &a), -ENOENT);
}

/* RFC 6238 appendix B (HMAC-SHA1), 6 digits: the last six of its 8-digit codes. */
static const char rfc_secret[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; /* "1234567890" x 2 */
static const struct {
	int64_t t;
	const char *code;
} rfc_vectors[] = {
	{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
	{1234567890, "005924"}, {2000000000, "279037"}, {20000000000LL, "353130"},
};

static void test_totp_rfc6238_vectors_skew_and_replay(void **state)
{
	int64_t step;
	for (size_t i = 0; i < sizeof(rfc_vectors) / sizeof(rfc_vectors[0]); i++) {
		if (!mfa_totp_valid(rfc_secret, rfc_vectors[i].code, rfc_vectors[i].t, 0, &step))
			fail_msg("vector %zu (T=%lld) refused", i, (long long)rfc_vectors[i].t);
		assert_int_equal(step, rfc_vectors[i].t / 30);
	}
	const int64_t t = 1111111109;
	const char *code = "081804";
	assert_true(mfa_totp_valid(rfc_secret, code, t + 30, 0, &step));  /* one step late */
	assert_true(mfa_totp_valid(rfc_secret, code, t - 30, 0, &step));  /* one step early */
	assert_false(mfa_totp_valid(rfc_secret, code, t + 60, 0, &step)); /* two: refused */
	assert_false(mfa_totp_valid(rfc_secret, code, t - 60, 0, &step));
	assert_false(mfa_totp_valid(rfc_secret, code, t, t / 30, &step)); /* taken: replay */
	assert_false(mfa_totp_valid(rfc_secret, "081805", t, 0, &step));
	assert_false(mfa_totp_valid(rfc_secret, "81804", t, 0, &step));
	assert_false(mfa_totp_valid(rfc_secret, NULL, t, 0, &step));
	assert_false(mfa_totp_valid("", code, t, 0, &step));
}

static void test_login_with_second_factor(void **state)
{
	struct fx *f = *state;
	struct authz_actor a;
	add(f, "admin", AUTHZ_ROLE_NOC_ADMIN, NULL, "admin password");
	/* a noc-admin without a second factor: the right password is not enough */
	assert_int_equal(accounts_login(f->a, "admin", "admin password", NULL, "t", 1000, &a),
			 -EKEYREJECTED);
	assert_int_equal(account_set_mfa(f->a, "admin", rfc_secret, 0), 0);
	int64_t t_ms = 59 * 1000LL;
	assert_int_equal(accounts_login(f->a, "admin", "admin password", NULL, "t", t_ms, &a), -EACCES);
	assert_int_equal(accounts_login(f->a, "admin", "admin password", "287083", "t", t_ms, &a), -EACCES);
	assert_int_equal(accounts_login(f->a, "admin", "admin password", "287082", "t", t_ms, &a), 0);
	assert_string_equal(a.name, "admin");
	/* the same code again (a replay) is refused, the next step's is taken */
	assert_int_equal(accounts_login(f->a, "admin", "admin password", "287082", "t", t_ms, &a), -EACCES);
	assert_int_equal(account_unlock(f->a, "admin"), 0);
	assert_int_equal(accounts_login(f->a, "admin", "wrong", "287082", "t", t_ms, &a), -EACCES);
}

#define DAY_MS 86400000LL

static void test_inactive_accounts_disabled_on_a_moved_clock(void **state)
{
	struct fx *f = *state;
	struct authz_actor a;
	struct account acc;
	f->cfg.inactive_ms = 90 * DAY_MS;
	add(f, "idle", AUTHZ_ROLE_NOC_OPERATOR, NULL, "idle password");     /* created at 1 */
	add(f, "active", AUTHZ_ROLE_NOC_OPERATOR, NULL, "active password");
	add(f, "scripted", AUTHZ_ROLE_NOC_OPERATOR, NULL, "script password");
	char tok[80], h[65];
	assert_int_equal(secret_new_token(tok, sizeof(tok)), 0);
	secret_sha256_hex(tok, h);
	assert_int_equal(account_token_insert(f->a, "scripted", h, 1), 0);
	assert_int_equal(accounts_disable_inactive(f->a, NULL, 89 * DAY_MS), 0);
	assert_int_equal(accounts_login(f->a, "active", "active password", NULL, "t", 80 * DAY_MS, &a), 0);
	/* a token's use counts as activity: account_token_find records it */
	assert_int_equal(account_token_find(f->a, h, 85 * DAY_MS, &acc), 0);
	assert_int_equal(accounts_disable_inactive(f->a, NULL, 91 * DAY_MS), 1);
	assert_int_equal(account_get(f->a, "idle", &acc), 0);
	assert_true(acc.disabled);
	assert_int_equal(account_get(f->a, "active", &acc), 0);
	assert_false(acc.disabled);
	assert_int_equal(account_get(f->a, "scripted", &acc), 0);
	assert_false(acc.disabled);
	assert_int_equal(accounts_login(f->a, "idle", "idle password", NULL, "t", 91 * DAY_MS, &a),
			 -EACCES);
	/* 90 days after their last use, the others go too; 0 turns the sweep off */
	assert_int_equal(accounts_disable_inactive(f->a, NULL, 176 * DAY_MS), 2);
	f->cfg.inactive_ms = 0;
	assert_int_equal(account_set_disabled(f->a, "idle", false), 0);
	assert_int_equal(accounts_disable_inactive(f->a, NULL, 1000 * DAY_MS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yescrypt_hash_and_check),
		cmocka_unit_test_setup_teardown(test_password_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_lockout_grows_and_unlocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_watch_reports_on_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_watch_between_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_watch_reload_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_user_and_disabled_answer_alike, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_api_token_hashed_and_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inactive_accounts_disabled_on_a_moved_clock, setup,
						teardown),
		cmocka_unit_test(test_totp_rfc6238_vectors_skew_and_replay),
		cmocka_unit_test_setup_teardown(test_login_with_second_factor, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
