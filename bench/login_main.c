/* bench/login: the cost of one login check (accounts_login) at the configured yescrypt
 * cost, for a wrong password of an existing account and for a user that does not exist
 * (which must cost the same: docs/ACCOUNTS.md, "Lockout").
 *
 *   bench_login [N=20] [COST=6]
 *
 * Prints one final line of key=value (milliseconds are medians of N).
 */
#include <crypt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcmon/accounts.h"
#include "dcmon/cfgtree.h"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median of n logins of name with a wrong password. */
static double median_login(struct accounts *a, const char *name, int n, double *v)
{
	struct authz_actor out;
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		accounts_login(a, name, "not the password", NULL, "bench", 1000 + i, &out);
		v[i] = now_ms() - t0;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

/* Adds account `bench` to the store at dir with a password hashed at cost. */
static int add_account(const char *dir, int cost)
{
	char path[256], salt[CRYPT_GENSALT_OUTPUT_SIZE], sql[512];
	struct crypt_data cd = {0};
	snprintf(path, sizeof(path), "%s/accounts.db", dir);
	if (!crypt_gensalt_rn("$y$", (unsigned long)cost, NULL, 0, salt, sizeof(salt)))
		return -1;
	snprintf(sql, sizeof(sql), "INSERT INTO accounts(name, role, hash, created_ms, "
		 "password_changed_ms) VALUES('bench', 'noc-operator', '%s', 1, 1)",
		 crypt_r("the bench password", salt, &cd));
	sqlite3 *db;
	int rc = sqlite3_open(path, &db) == SQLITE_OK &&
		 sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	sqlite3_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20;
	struct cfg_accounts cfg;
	accounts_cfg_init(&cfg, &(struct cfgnode){0}, NULL);
	if (argc > 2)
		cfg.yescrypt_cost = atoi(argv[2]);
	cfg.lock_failures = 1000; /* a locked account is checked all the same; no log lines */
	if (n < 1 || n > 10000)
		n = 20;
	char dir[] = "/tmp/dcmon-bench-login.XXXXXX", err[256] = "";
	if (!mkdtemp(dir))
		return 1;
	struct accounts *a = accounts_open(dir, &cfg, err, sizeof(err));
	if (!a || add_account(dir, cfg.yescrypt_cost) < 0) {
		fprintf(stderr, "bench_login: %s\n", err[0] ? err : "cannot add the account");
		return 1;
	}
	double *v = calloc((size_t)n, sizeof(*v));
	double wrong = median_login(a, "bench", n, v);
	double missing = median_login(a, "nobody-here", n, v);
	accounts_free(a);
	free(v);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	printf("yescrypt_cost=%d logins=%d login_ms_wrong_password=%.1f login_ms_missing_user=%.1f\n",
	       cfg.yescrypt_cost, n, wrong, missing);
	return 0;
}
