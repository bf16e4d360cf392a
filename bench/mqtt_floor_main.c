/* The floor of bench/mqtt.sh: a bare libmosquitto subscriber to the same stream, read the
 * way dcmond reads it (wait for the socket, mosquitto_loop_read until EAGAIN, then
 * READ_PAUSE_MS before the next look; over TLS a context with read-ahead), that does
 * nothing with a message but count it.  Its CPU a value is libmosquitto's receive path
 * on this machine, which every subscriber built on the library pays: three read(2) a
 * packet in plain text (the type byte, the remaining length, the rest), a copy of topic
 * and payload, and the library's locks.  dcmond's figure less this one is dcmond's own.
 *
 *   bench_mqtt_floor HOST PORT TOPIC COUNT_FILE [CA_FILE CERT_FILE KEY_FILE]
 *
 * On SIGUSR1 it writes the messages received so far to COUNT_FILE (as the collectd
 * value counter does); SIGTERM ends it. */
#include <errno.h>
#include <mosquitto.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define READ_PAUSE_MS 100 /* as dcmond's mqtt client (mqtt/mqtt_client.c) */
#define DRAIN_MAX 4096
#define TLS_READ_BUFFER (64 * 1024)

static volatile sig_atomic_t want_count, stop;
static long received;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_count = 1;
	else
		stop = 1;
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	(void)m;
	(void)arg;
	(void)msg;
	received++;
}

static void write_count(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%ld\n", received) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
		perror(path);
}

/* The TLS context dcmond makes (read-ahead, a large read buffer): see tls_context() in
 * mqtt/mqtt_client.c for why libmosquitto gets a context of ours. */
static int tls_setup(struct mosquitto *m, const char *ca, const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return -1;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, TLS_READ_BUFFER);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	int ok = SSL_CTX_load_verify_locations(ctx, ca, NULL) == 1 &&
		 SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 &&
		 SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 &&
		 mosquitto_int_option(m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0) == MOSQ_ERR_SUCCESS &&
		 mosquitto_void_option(m, MOSQ_OPT_SSL_CTX, ctx) == MOSQ_ERR_SUCCESS;
	SSL_CTX_free(ctx);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 8) {
		fprintf(stderr, "usage: bench_mqtt_floor HOST PORT TOPIC COUNT_FILE "
				"[CA_FILE CERT_FILE KEY_FILE]\n");
		return 2;
	}
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	mosquitto_lib_init();
	struct mosquitto *m = mosquitto_new(NULL, true, NULL);
	if (!m || (argc == 8 && tls_setup(m, argv[5], argv[6], argv[7]) < 0)) {
		fprintf(stderr, "bench_mqtt_floor: cannot set the client up\n");
		return 1;
	}
	mosquitto_message_callback_set(m, on_message);
	int rc = mosquitto_connect(m, argv[1], atoi(argv[2]), 30);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_subscribe(m, NULL, argv[3], 0);
	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "bench_mqtt_floor: %s\n", mosquitto_strerror(rc));
		return 1;
	}
	while (!stop) {
		struct pollfd p = {.fd = mosquitto_socket(m), .events = POLLIN};
		if (mosquitto_want_write(m))
			p.events |= POLLOUT;
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			break;
		bool got = false;
		for (int i = 0; i < DRAIN_MAX; i++) {
			errno = 0;
			rc = mosquitto_loop_read(m, 1);
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (rc != MOSQ_ERR_SUCCESS) {
				fprintf(stderr, "bench_mqtt_floor: %s\n", mosquitto_strerror(rc));
				return 1;
			}
			got = true;
		}
		if (mosquitto_want_write(m))
			mosquitto_loop_write(m, 1);
		mosquitto_loop_misc(m);
		if (want_count) {
			want_count = 0;
			write_count(argv[4]);
		}
		if (got) {
			struct timespec pause = {0, READ_PAUSE_MS * 1000000L};
			nanosleep(&pause, NULL);
		}
	}
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	return 0;
}
