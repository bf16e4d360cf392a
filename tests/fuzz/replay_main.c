/* Runs a fuzz target once over files, without fuzzing: the ctest replay of a target's
 * seed corpus and of the crash reproducers kept in tests/fuzz/crashes/<target>/, built
 * with the normal compiler so the ASan+UBSan test pass replays them too.
 *
 *     replay_<target> DIR|FILE...   (a missing DIR is skipped: no crashes kept yet)
 *
 * Prints one line per argument and `replayed=N`; fails when nothing was replayed, so a
 * lost corpus cannot pass unnoticed. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_FILE_MAX (16 << 20) /* bytes of one input, more than any corpus file */

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_FILE_MAX);
	size_t n = buf ? fread(buf, 1, REPLAY_FILE_MAX, f) : 0;
	int bad = !buf || ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(buf);
		return -1;
	}
	/* an exact-size copy, so ASan sees a read past the input */
	uint8_t *in = malloc(n ? n : 1);
	memcpy(in, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Replays every regular file of dir in name order; the count, or -1. */
static long replay_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name);
	long done = 0;
	if (n < 0)
		return errno == ENOENT ? 0 : -1;
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && names[i]->d_name[0] != '.') {
			if (replay_file(path) < 0)
				done = -1;
			else if (done >= 0)
				done++;
		}
		free(names[i]);
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	long total = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		long n = stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)
			     ? (replay_file(argv[i]) == 0 ? 1 : -1)
			     : replay_dir(argv[i]);
		if (n < 0)
			return 1;
		printf("replay: %s: %ld inputs\n", argv[i], n);
		total += n;
	}
	printf("replayed=%ld\n", total);
	return total > 0 ? 0 : 1;
}
