/* http_check_decode: one `checks: http:` item decoded from a node on its own, as the
 * tenant layer does with a check from its form or API (dcmon/http_check.h). */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dcmon/http_check.h"

struct decoded {
	struct cfg_diags d;
	struct cfgnode *root;
	struct cfg_http_check c;
	int rc;
};

static void decode(struct decoded *x, const char *yaml)
{
	cfg_diags_init(&x->d);
	x->root = cfgnode_load_string("form", yaml, &x->d);
	assert_non_null(x->root);
	x->rc = http_check_decode(x->root, &x->c, &x->d);
}

static void release(struct decoded *x)
{
	http_check_free(&x->c);
	cfgnode_free(x->root);
	cfg_diags_free(&x->d);
}

/* The error at line:col holding frag, or NULL. */
static const struct cfg_diag *error_at(const struct cfg_diags *d, int line, int col,
				       const char *frag)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct cfg_diag *g = &d->v[i];
		if (g->pos.line == line && g->pos.col == col && strstr(g->msg, frag))
			return g;
	}
	for (size_t i = 0; i < d->n; i++)
		printf("got %d:%d %s\n", d->v[i].pos.line, d->v[i].pos.col, d->v[i].msg);
	return NULL;
}

static void test_scalar_is_url_with_defaults(void **state)
{
	struct decoded x;
	decode(&x, "https://10.0.0.5/health\n");
	assert_int_equal(x.rc, 0);
	assert_string_equal(x.c.url, "https://10.0.0.5/health");
	assert_string_equal(x.c.name, "https://10.0.0.5/health");
	assert_int_equal(x.c.method, HTTP_GET);
	assert_int_equal(x.c.nstatus, 0);
	assert_int_equal(x.c.body_max, HTTP_BODY_MAX_DEFAULT);
	assert_int_equal(x.c.timeout_ms, CFG_UNSET);
	assert_true(x.c.tls_verify);
	assert_null(x.c.host);
	release(&x);
}

static void test_map(void **state)
{
	struct decoded x;
	decode(&x, "url: https://10.0.0.5/\nname: site\nmethod: HEAD\nstatus: [200, 3xx]\n"
		   "body_regex: '^ok'\ntimeout: 3s\ntls_verify: false\nca_file: /etc/ca.pem\n"
		   "host: www.example.com\nbody_max: 100\n");
	assert_int_equal(x.rc, 0);
	assert_string_equal(x.c.name, "site");
	assert_int_equal(x.c.method, HTTP_HEAD);
	assert_int_equal(x.c.nstatus, 2);
	assert_string_equal(x.c.status[1], "3xx");
	assert_string_equal(x.c.body_regex, "^ok");
	assert_int_equal(x.c.timeout_ms, 3000);
	assert_false(x.c.tls_verify);
	assert_string_equal(x.c.ca_file, "/etc/ca.pem");
	assert_string_equal(x.c.host, "www.example.com");
	assert_int_equal(x.c.body_max, 100);
	release(&x);
}

/* Every error of a form is reported with its field's position, not only the first. */
static void test_errors_positioned(void **state)
{
	struct decoded x;
	decode(&x, "url: gopher://h/\nstatus: [200, 99]\nbody: a\nbody_regex: b\nca_file: x\n"
		   "colour: red\n");
	assert_int_equal(x.rc, -EINVAL);
	assert_non_null(error_at(&x.d, 6, 1, "unknown key 'colour'"));
	release(&x);
	decode(&x, "url: gopher://h/\nstatus: [200, 99]\nbody: a\nbody_regex: b\nca_file: x\n");
	assert_int_equal(x.rc, -EINVAL);
	assert_non_null(error_at(&x.d, 1, 6, "expected an http:// or https:// URL"));
	assert_non_null(error_at(&x.d, 2, 15, "'99' is not a status"));
	assert_non_null(error_at(&x.d, 4, 13, "give body or body_regex, not both"));
	assert_non_null(error_at(&x.d, 5, 10, "ca_file: expected an absolute path"));
	release(&x);
}

/* The host and port a check connects to (what the tenant layer checks), and the
 * address it may be pinned to. */
static void test_target_and_address(void **state)
{
	struct decoded x;
	char host[256];
	int port = 0;
	decode(&x, "url: 'https://[2001:db8::5]/x'\naddress: 2001:db8::6\n");
	assert_int_equal(x.rc, 0);
	assert_int_equal(http_check_target(&x.c, host, sizeof(host), &port), 0);
	assert_string_equal(host, "2001:db8::5");
	assert_int_equal(port, 443);
	assert_string_equal(x.c.address, "2001:db8::6");
	release(&x);
	decode(&x, "http://web.acme.example:8080/\n");
	assert_int_equal(http_check_target(&x.c, host, sizeof(host), &port), 0);
	assert_string_equal(host, "web.acme.example");
	assert_int_equal(port, 8080);
	assert_null(x.c.address);
	release(&x);
	decode(&x, "url: http://web.acme.example/\naddress: web.other.example\n");
	assert_int_equal(x.rc, -EINVAL);
	assert_non_null(error_at(&x.d, 2, 10, "'web.other.example' is not an IPv4 or IPv6 address"));
	release(&x);
}

/* allow and deny: addresses and CIDR ranges, each error at its item. */
static void test_allow_deny(void **state)
{
	(void)state;
	struct decoded x;
	decode(&x, "url: http://web.acme.example/\nallow: [10.1.0.0/24, '2001:db8::/64']\n"
		   "deny: [10.1.0.9]\n");
	assert_int_equal(x.rc, 0);
	assert_int_equal(x.c.nallow, 2);
	assert_string_equal(x.c.allow[1], "2001:db8::/64");
	assert_int_equal(x.c.ndeny, 1);
	assert_string_equal(x.c.deny[0], "10.1.0.9");
	release(&x);
	decode(&x, "url: http://web.acme.example/\nallow: [10.1.0.0/33]\ndeny: [web.other]\n");
	assert_int_equal(x.rc, -EINVAL);
	assert_non_null(error_at(&x.d, 2, 9, "allow: '10.1.0.0/33' is not an address or a CIDR range"));
	assert_non_null(error_at(&x.d, 3, 8, "deny: 'web.other' is not an address or a CIDR range"));
	release(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalar_is_url_with_defaults),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_errors_positioned),
		cmocka_unit_test(test_target_and_address),
		cmocka_unit_test(test_allow_deny),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
