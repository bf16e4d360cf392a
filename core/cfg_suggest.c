/* "Did you mean": the nearest candidate by Levenshtein edit distance. */
#include "dcmon/cfgtree.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define SUGGEST_MAX_LEN 64 /* bytes; longer words are never typos of a key */

/* Case-insensitive edit distance of a and b (both at most SUGGEST_MAX_LEN bytes),
 * counting an adjacent transposition as one edit. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];

	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost =
			    tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* Largest distance still taken for a typo of a word of `len` bytes. */
static size_t suggest_limit(size_t len)
{
	if (len <= 3)
		return 1;
	if (len <= 6)
		return 2;
	return 3;
}

const char *cfg_suggest(const char *word, const char *const *candidates)
{
	if (word == NULL || candidates == NULL || strlen(word) > SUGGEST_MAX_LEN)
		return NULL;
	const char *best = NULL;
	size_t best_d = suggest_limit(strlen(word)) + 1;
	for (size_t i = 0; candidates[i] != NULL; i++) {
		if (strlen(candidates[i]) > SUGGEST_MAX_LEN)
			continue;
		size_t dist = edit_distance(word, candidates[i]);
		if (dist < best_d) {
			best = candidates[i];
			best_d = dist;
		}
	}
	return best;
}
