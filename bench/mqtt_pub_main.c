/* The publisher of bench/mqtt.sh: one steady stream of collectd-style values to a
 * broker on loopback, the same for every subscriber.
 *
 *   bench_mqtt_pub HOST PORT DEVICES POINTS RATE SECONDS
 *
 * Topic collectd/dNNNNN/bench/gauge-pNNN, payload "N:VALUE" (collectd's TIME:VALUE),
 * QoS 0; RATE messages per second over every (device, point) in turn, in 100 batches a
 * second, for SECONDS.  Prints "published=N" at the end. */
#include <mosquitto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCHES_PER_S 100

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int publish_one(struct mosquitto *m, long i, long devices, long points)
{
	char topic[96], payload[32];
	long dev = (i / points) % devices, pt = i % points;
	snprintf(topic, sizeof(topic), "collectd/d%05ld/bench/gauge-p%03ld", dev, pt);
	int n = snprintf(payload, sizeof(payload), "N:%ld.%ld", 1000 + pt, i % 10);
	return mosquitto_publish(m, NULL, topic, n, payload, 0, false);
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: %s HOST PORT DEVICES POINTS RATE SECONDS\n", argv[0]);
		return 2;
	}
	long devices = atol(argv[3]), points = atol(argv[4]), rate = atol(argv[5]);
	long seconds = atol(argv[6]), published = 0;
	mosquitto_lib_init();
	struct mosquitto *m = mosquitto_new(NULL, true, NULL);
	if (!m || mosquitto_connect(m, argv[1], atoi(argv[2]), 60) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "cannot connect to %s:%s\n", argv[1], argv[2]);
		return 1;
	}
	int64_t start = now_ns(), batch_ns = 1000000000 / BATCHES_PER_S;
	for (long b = 0; b < seconds * BATCHES_PER_S; b++) {
		long due = rate * (b + 1) / BATCHES_PER_S;
		while (published < due && publish_one(m, published, devices, points) == 0)
			published++;
		mosquitto_loop(m, 0, 1);
		int64_t wake = start + (b + 1) * batch_ns, now = now_ns();
		if (wake > now) {
			struct timespec ts = {.tv_sec = (wake - now) / 1000000000,
					      .tv_nsec = (wake - now) % 1000000000};
			nanosleep(&ts, NULL);
		}
	}
	for (int i = 0; i < 100 && mosquitto_want_write(m); i++)
		mosquitto_loop(m, 10, 1);
	mosquitto_disconnect(m);
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	printf("published=%ld\n", published);
	return 0;
}
