/* A profile that many devices name is read once at start-up, not once per device: the
 * SNMP profiles' check and the profiles' default rules each open the file one time for
 * three devices (inotify counts the opens).  Reading it per device made start-up at
 * 5000 devices x 200 points take 47 s instead of about one. */
#include "testing.h"
#include "tmpdir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "dcmon/config.h"
#include "dcmon/snmp.h"
#include "profile_rules.h"

static char tmpdir[] = "/tmp/dcmon-test-profile-reads-XXXXXX";
static char profile_path[PATH_MAX];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Three SNMP devices naming profile "shared" (one point, no rules). */
static struct cfg *three_devices(void)
{
	char path[PATH_MAX], text[1024];
	snprintf(profile_path, sizeof(profile_path), "%s/shared.yaml", tmpdir);
	write_file(profile_path, "name: shared\ntransport: snmp\npoints:\n"
				 "  - {metric: inlet_temp_celsius, oid: 1.3.6.1.4.1.99999.1.1}\n");
	snprintf(text, sizeof(text), "daemon: {profiles_dir: \"%s\"}\ndevices:\n"
		 "  - {id: a, host: 127.0.0.1, profile: shared, snmp: {port: 1161}}\n"
		 "  - {id: b, host: 127.0.0.1, profile: shared, snmp: {port: 1161}}\n"
		 "  - {id: c, host: 127.0.0.1, profile: shared, snmp: {port: 1161}}\n", tmpdir);
	snprintf(path, sizeof(path), "%s/c.yaml", tmpdir);
	write_file(path, text);
	struct cfg_diags d;
	cfg_diags_init(&d);
	struct cfg *cfg = cfg_load(path, &d);
	cfg_diags_print(&d, stderr);
	cfg_diags_free(&d);
	assert_non_null(cfg);
	return cfg;
}

/* An inotify descriptor watching the profile's opens (and closes: inotify merges an
 * event with the one queued before it when they are alike, so opens alone would count
 * as one). */
static int watch_opens(void)
{
	int fd = inotify_init1(IN_NONBLOCK);
	assert_true(fd >= 0);
	assert_true(inotify_add_watch(fd, profile_path, IN_OPEN | IN_CLOSE_NOWRITE) >= 0);
	return fd;
}

/* The opens seen since watch_opens (every event is queued before the call returns). */
static int opens_seen(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int n = 0;
	ssize_t len;
	while ((len = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			n += (ev->mask & IN_OPEN) != 0;
			p += sizeof(*ev) + ev->len;
		}
	close(fd);
	return n;
}

static void test_snmp_check_reads_profile_once(void **state)
{
	(void)state;
	struct cfg *cfg = three_devices();
	struct cfg_diags d;
	cfg_diags_init(&d);
	int fd = watch_opens();
	assert_int_equal(snmp_profiles_check(cfg, &d), 0);
	assert_int_equal(opens_seen(fd), 1);
	assert_int_equal(d.nerrors, 0);
	cfg_diags_free(&d);
	cfg_free(cfg);
}

static void test_rules_read_profile_once(void **state)
{
	(void)state;
	struct cfg *cfg = three_devices();
	struct profile_rules pr;
	struct cfg_diags d;
	cfg_diags_init(&d);
	int fd = watch_opens();
	assert_int_equal(profile_rules_load(cfg, &pr, &d), 0);
	assert_int_equal(opens_seen(fd), 1);
	assert_int_equal(pr.n, 0); /* the profile has no rules */
	profile_rules_free(&pr);
	cfg_diags_free(&d);
	cfg_free(cfg);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return test_tmpdir_remove(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snmp_check_reads_profile_once),
		cmocka_unit_test(test_rules_read_profile_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
