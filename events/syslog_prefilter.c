/* The log rules' literal prefilter: most rules fail on most messages, so a rule is
 * first asked whether the message can match at all, cheaply.  Each substring a rule
 * needs (its `match`, its `clear`, the literals its regex cannot match without) is
 * reduced to a few bigrams; a message's bigrams are hashed once into a 4096-bit set,
 * and a literal one of whose bigrams is absent is absent, without a strstr.  Only a
 * message holding a regex's required literal reaches regexec.  A filter may say "maybe"
 * wrongly, never "no" wrongly: the literal of a regex is one that every match contains
 * (when that is not certain, the regex gets no literal and is always tried). */
#include "syslog_int.h"

#include <stdlib.h>
#include <string.h>

/* The bigram of a and b as a bit number of the set. */
static unsigned gram(unsigned char a, unsigned char b)
{
	return (((unsigned)a * 0x9E3779B1u) ^ ((unsigned)b * 0x85EBCA77u)) >> (32 - 12);
}

void msg_grams_of(struct msg_grams *g, const char *msg)
{
	g->msg = msg;
	g->made = false;
}

static void grams_make(struct msg_grams *g)
{
	const unsigned char *p = (const unsigned char *)g->msg;

	g->made = true;
	memset(g->bits, 0, sizeof(g->bits));
	for (; p[0] && p[1]; p++) {
		unsigned b = gram(p[0], p[1]);
		g->bits[b / 64] |= 1ULL << (b % 64);
	}
}

static void lit_init(struct lit *l, const char *s)
{
	size_t n = strlen(s), pairs = n > 1 ? n - 1 : 0;
	size_t step = pairs > LIT_GRAMS_MAX ? pairs / LIT_GRAMS_MAX : 1;

	l->s = s;
	l->ngrams = 0;
	for (size_t i = 0; i < pairs && l->ngrams < LIT_GRAMS_MAX; i += step)
		l->grams[l->ngrams++] = (uint16_t)gram((unsigned char)s[i], (unsigned char)s[i + 1]);
}

static bool lit_in(const struct lit *l, struct msg_grams *g, const char *msg)
{
	if (!g->made)
		grams_make(g);
	for (size_t i = 0; i < l->ngrams; i++)
		if (!(g->bits[l->grams[i] / 64] & (1ULL << (l->grams[i] % 64))))
			return false;
	return strstr(msg, l->s) != NULL;
}

void lit_filter_init(struct lit_filter *f, const char *s)
{
	memset(f, 0, sizeof(*f));
	if (!s)
		return;
	lit_init(&f->v[0], s);
	f->n = 1;
}

bool lit_filter_pass(const struct lit_filter *f, struct msg_grams *g, const char *msg)
{
	if (f->n == 0)
		return true; /* nothing known to be needed */
	for (size_t i = 0; i < f->n; i++)
		if (lit_in(&f->v[i], g, msg))
			return true;
	return false;
}

/* ---- the literals a POSIX ERE needs ------------------------------------------------- */

/* Past the bracket expression starting at p ('['), or NULL if it does not end. */
static const char *skip_bracket(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++; /* a ']' first is a member */
	for (; *p && *p != ']'; p++) {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			char end = p[1];
			for (p += 2; *p && !(p[0] == end && p[1] == ']'); p++)
				;
			if (!*p)
				return NULL;
			p++;
		}
	}
	return *p ? p + 1 : NULL;
}

/* Past the group starting at p ('('), or NULL if it does not end. */
static const char *skip_group(const char *p)
{
	int depth = 0;

	while (*p) {
		if (*p == '\\' && p[1]) {
			p += 2;
			continue;
		}
		if (*p == '[') {
			if (!(p = skip_bracket(p)))
				return NULL;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

/* The runs of literal characters of one alternative, the longest kept in best. */
struct runs {
	char *cur, *best;    /* the run being read; the longest ended so far */
	size_t len, nbest;
	size_t last;         /* where the run's last character (a UTF-8 sequence) starts */
	bool have_last;      /* the run's last character can still be quantified */
};

static void run_end(struct runs *r)
{
	if (r->len > r->nbest) {
		memcpy(r->best, r->cur, r->len);
		r->nbest = r->len;
	}
	r->len = 0;
	r->have_last = false;
}

static void run_add(struct runs *r, char c, bool starts_char)
{
	if (starts_char)
		r->last = r->len;
	r->cur[r->len++] = c;
	r->have_last = true;
}

/* An escape that is no literal: \w, \b, a back-reference, GNU's \< \> \` \'. */
static bool escape_special(unsigned char e)
{
	return (e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
	       e == '<' || e == '>' || e == '`' || e == '\'';
}

/* The longest run of characters that every match of the alternative [p, end) holds,
 * into out (end - p + 1 bytes); false when no run is certain. */
static bool alt_literal(const char *p, const char *end, char *out)
{
	struct runs r = {.cur = malloc((size_t)(end - p) + 1), .best = out};
	bool after_quant = false, ok = r.cur != NULL;

	while (ok && p < end) {
		char c = *p;
		if (c == '*' || c == '?' || c == '{' || c == '+') {
			/* a quantified quantifier: not worth reasoning about */
			ok = !after_quant;
			if (c != '+' && r.have_last)
				r.len = r.last; /* the character may be absent */
			run_end(&r);
			while (c == '{' && p < end && *p != '}')
				p++;
			p++;
			after_quant = true;
			continue;
		}
		after_quant = false;
		if (c == '\\' && p + 1 < end) {
			if (escape_special((unsigned char)p[1]))
				run_end(&r);
			else
				run_add(&r, p[1], true);
			p += 2;
		} else if (c == '[' || c == '(') {
			const char *q = c == '[' ? skip_bracket(p) : skip_group(p);
			ok = q && q <= end;
			run_end(&r);
			p = q;
		} else if (c == '.' || c == '^' || c == '$' || c == '\\') {
			run_end(&r);
			p++;
		} else {
			run_add(&r, c, ((unsigned char)c & 0xC0) != 0x80);
			p++;
		}
	}
	if (ok)
		run_end(&r);
	free(r.cur);
	out[ok ? r.nbest : 0] = '\0';
	return ok && r.nbest > 0;
}

/* The top-level alternatives of re: their starts in at[] (at most max), and re's end. */
static size_t alternatives(const char *re, const char **at, size_t max, bool *ok)
{
	size_t n = 0;
	const char *p = re;

	*ok = true;
	at[n++] = p;
	while (*p) {
		if (*p == '\\' && p[1]) {
			p += 2;
		} else if (*p == '[' || *p == '(') {
			const char *q = *p == '[' ? skip_bracket(p) : skip_group(p);
			if (!q) {
				*ok = false;
				return 0;
			}
			p = q;
		} else if (*p == '|') {
			if (n == max) {
				*ok = false;
				return 0;
			}
			at[n++] = ++p;
		} else {
			p++;
		}
	}
	return n;
}

void lit_filter_regex(struct lit_filter *f, const char *re)
{
	const char *at[LIT_ALTS_MAX + 1];
	bool ok;
	size_t n = alternatives(re, at, LIT_ALTS_MAX, &ok), len = strlen(re);

	memset(f, 0, sizeof(*f));
	if (!ok || n == 0 || !(f->buf = malloc(len + n + 1)))
		return;
	at[n] = re + len + 1; /* so that at[i + 1] - 1 is the end of alternative i */
	char *out = f->buf;
	for (size_t i = 0; i < n; i++) {
		if (!alt_literal(at[i], at[i + 1] - 1, out)) {
			free(f->buf);
			memset(f, 0, sizeof(*f)); /* one alternative without: the regex has none */
			return;
		}
		lit_init(&f->v[f->n++], out);
		out += strlen(out) + 1;
	}
}

void lit_filter_release(struct lit_filter *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}
