/* Syslog message parsers: RFC 5424 (version 1) and RFC 3164 (the BSD format, what
 * rsyslog's traditional forward format and logger --rfc3164 send).  Untrusted bytes:
 * every read is bounded by the input's end, every string returned is a cleaned copy in
 * the caller's scratch space, and nothing fails -- what does not parse comes back
 * whole as the message, flagged EVENT_F_PARSE_ERROR. */
#include "events_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define PRI_MAX       191 /* facility 23 * 8 + severity 7 */
#define HOST_MAX      255 /* RFC 5424 field lengths */
#define APP_MAX       48
#define PROCID_MAX    128
#define MSGID_MAX     32
#define SDNAME_MAX    32
#define TAG_MAX       48  /* RFC 3164 says 32; rsyslog takes longer ones */

struct scan {
	const char *p, *end;
};

struct arena {
	char *buf;
	size_t used, cap;
	unsigned *flags; /* where EVENT_F_BAD_UTF8 is set */
};

/* ---- UTF-8 ------------------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid or NUL. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need;
	unsigned char lo = 0x80, hi = 0xBF;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
	else
		return 0;
	if (n < need + 1 || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need + 1;
}

size_t utf8_clean(const char *in, size_t len, char *out, bool *bad)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq(s + i, len - i);
		if (k == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
			*bad = true;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return o;
}

/* A cleaned, NUL-terminated copy of n bytes in the arena. */
static const char *keep(struct arena *a, const char *s, size_t n)
{
	bool bad = false;

	if (a->used + 3 * n + 1 > a->cap)
		return NULL; /* cannot happen with SYSLOG_SCRATCH; stays safe if it did */
	char *out = a->buf + a->used;
	a->used += utf8_clean(s, n, out, &bad) + 1;
	if (bad)
		*a->flags |= EVENT_F_BAD_UTF8;
	return out;
}

/* ---- tokens ---------------------------------------------------------------------------- */

static bool at_end(const struct scan *sc)
{
	return sc->p >= sc->end;
}

static bool take_char(struct scan *sc, char c)
{
	if (at_end(sc) || *sc->p != c)
		return false;
	sc->p++;
	return true;
}

/* n digits as a number into *v. */
static bool take_digits(struct scan *sc, int n, int *v)
{
	if (sc->end - sc->p < n)
		return false;
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (sc->p[i] < '0' || sc->p[i] > '9')
			return false;
		*v = *v * 10 + (sc->p[i] - '0');
	}
	sc->p += n;
	return true;
}

/* "<PRI>": 1 to 3 digits, no leading zero, at most 191. */
static bool take_pri(struct scan *sc, int *fac, int *sev)
{
	int v = 0, n = 0;

	if (!take_char(sc, '<'))
		return false;
	while (!at_end(sc) && *sc->p >= '0' && *sc->p <= '9' && n < 4) {
		if (n == 1 && v == 0)
			return false;
		v = v * 10 + (*sc->p++ - '0');
		n++;
	}
	if (n == 0 || n > 3 || v > PRI_MAX || !take_char(sc, '>'))
		return false;
	*fac = v / 8;
	*sev = v % 8;
	return true;
}

/* A token of printable US-ASCII up to SP (1..max bytes); "-" is returned as nil. */
static bool take_field(struct scan *sc, size_t max, const char **s, size_t *n, bool *nil)
{
	const char *b = sc->p;

	while (!at_end(sc) && *sc->p != ' ') {
		if (*sc->p < 33 || *sc->p > 126)
			return false;
		sc->p++;
	}
	*s = b;
	*n = (size_t)(sc->p - b);
	*nil = *n == 1 && *b == '-';
	return *n > 0 && *n <= max;
}

/* ---- RFC 5424 --------------------------------------------------------------------------- */

/* FULL-DATE "T" FULL-TIME: 2026-12-06T07:40:00.123456+01:00 (or Z). */
static bool take_time3339(struct scan *sc, int64_t *ms)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, s, frac_ms = 0, oh = 0, om = 0, sign = 0;

	if (!take_digits(sc, 4, &y) || !take_char(sc, '-') || !take_digits(sc, 2, &mo) ||
	    !take_char(sc, '-') || !take_digits(sc, 2, &d) || !take_char(sc, 'T') ||
	    !take_digits(sc, 2, &h) || !take_char(sc, ':') || !take_digits(sc, 2, &mi) ||
	    !take_char(sc, ':') || !take_digits(sc, 2, &s))
		return false;
	if (take_char(sc, '.')) {
		int ndig = 0;
		while (!at_end(sc) && *sc->p >= '0' && *sc->p <= '9' && ndig < 6) {
			if (ndig < 3)
				frac_ms = frac_ms * 10 + (*sc->p - '0');
			sc->p++, ndig++;
		}
		if (ndig == 0)
			return false;
		for (int i = ndig; i < 3; i++)
			frac_ms *= 10;
	}
	if (take_char(sc, 'Z'))
		sign = 0;
	else if (take_char(sc, '+'))
		sign = 1;
	else if (take_char(sc, '-'))
		sign = -1;
	else
		return false;
	if (sign && (!take_digits(sc, 2, &oh) || !take_char(sc, ':') || !take_digits(sc, 2, &om)))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || oh > 23 ||
	    om > 59)
		return false;
	tm = (struct tm){.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi, .tm_sec = s};
	*ms = ((int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60)) * 1000 + frac_ms;
	return true;
}

/* PARAM-VALUE between quotes, with \" \\ \] unescaped, into the arena. */
static const char *take_param_value(struct scan *sc, struct arena *a)
{
	char tmp[1024];
	size_t n = 0;
	const char *b = sc->p;

	if (!take_char(sc, '"'))
		return NULL;
	b = sc->p;
	/* unescaping only shortens: copy through tmp when it fits, else keep escapes */
	while (!at_end(sc) && *sc->p != '"') {
		if (*sc->p == '\\' && sc->end - sc->p > 1 &&
		    (sc->p[1] == '"' || sc->p[1] == '\\' || sc->p[1] == ']'))
			sc->p++;
		if (n < sizeof(tmp))
			tmp[n] = *sc->p;
		n++;
		sc->p++;
	}
	if (!take_char(sc, '"'))
		return NULL;
	if (n <= sizeof(tmp))
		return keep(a, tmp, n);
	return keep(a, b, (size_t)(sc->p - 1 - b));
}

/* One SD-ELEMENT: "[" SD-ID *(SP PARAM-NAME "=" PARAM-VALUE) "]". */
static bool take_sd_element(struct scan *sc, struct arena *a, struct syslog_msg *m)
{
	const char *id, *name;
	size_t idn, namen;

	if (!take_char(sc, '['))
		return false;
	/* an SD-ID ends at SP or ']' */
	for (id = sc->p; !at_end(sc) && *sc->p != ' ' && *sc->p != ']' && *sc->p != '=' &&
			 *sc->p != '"' && *sc->p > 32 && *sc->p < 127;
	     sc->p++)
		;
	idn = (size_t)(sc->p - id);
	if (idn == 0 || idn > SDNAME_MAX)
		return false;
	while (take_char(sc, ' ')) {
		for (name = sc->p; !at_end(sc) && *sc->p != '=' && *sc->p != ' ' && *sc->p != ']' &&
				   *sc->p != '"' && *sc->p > 32 && *sc->p < 127;
		     sc->p++)
			;
		namen = (size_t)(sc->p - name);
		if (namen == 0 || namen > SDNAME_MAX || !take_char(sc, '='))
			return false;
		const char *value = take_param_value(sc, a);
		if (!value)
			return false;
		if (m->nfields == EVENT_FIELDS_MAX) {
			m->flags |= EVENT_F_FIELDS_CUT;
			continue;
		}
		char full[2 * SDNAME_MAX + 2];
		snprintf(full, sizeof(full), "%.*s.%.*s", (int)idn, id, (int)namen, name);
		m->fields[m->nfields].name = keep(a, full, strlen(full));
		m->fields[m->nfields++].value = value;
	}
	return take_char(sc, ']');
}

static bool take_sd(struct scan *sc, struct arena *a, struct syslog_msg *m)
{
	if (take_char(sc, '-'))
		return true;
	if (at_end(sc) || *sc->p != '[')
		return false;
	while (!at_end(sc) && *sc->p == '[')
		if (!take_sd_element(sc, a, m))
			return false;
	return true;
}

/* A header field kept unless it is "-". */
static bool take_header(struct scan *sc, struct arena *a, size_t max, const char **out)
{
	const char *s;
	size_t n;
	bool nil;

	if (!take_field(sc, max, &s, &n, &nil) || !take_char(sc, ' '))
		return false;
	*out = nil ? NULL : keep(a, s, n);
	return true;
}

/* After "<PRI>1 ". */
static bool parse_5424(struct scan *sc, struct arena *a, struct syslog_msg *m)
{
	m->version = 1;
	if (!take_char(sc, '-') && !take_time3339(sc, &m->reported_ms))
		return false;
	if (!take_char(sc, ' ') || !take_header(sc, a, HOST_MAX, &m->host) ||
	    !take_header(sc, a, APP_MAX, &m->app) || !take_header(sc, a, PROCID_MAX, &m->procid))
		return false;
	const char *s;
	size_t n;
	bool nil;
	if (!take_field(sc, MSGID_MAX, &s, &n, &nil) || !take_char(sc, ' '))
		return false;
	m->msgid = nil ? NULL : keep(a, s, n);
	if (!take_sd(sc, a, m))
		return false;
	if (!at_end(sc) && !take_char(sc, ' '))
		return false;
	if (sc->end - sc->p >= 3 && memcmp(sc->p, "\xEF\xBB\xBF", 3) == 0)
		sc->p += 3; /* the BOM that says "UTF-8" */
	m->msg = keep(a, sc->p, (size_t)(sc->end - sc->p));
	return m->msg != NULL;
}

/* ---- RFC 3164 --------------------------------------------------------------------------- */

static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* "Mmm dd hh:mm:ss " in local time, of the year that puts it at most a day ahead of
 * now (a December message read in January is last year's). */
static bool take_time3164(struct scan *sc, int64_t now_ms, int64_t *ms)
{
	int mon = -1, d, h, mi, s;
	time_t now = (time_t)(now_ms / 1000);
	struct tm tm, ref;

	if (sc->end - sc->p < 16)
		return false;
	for (int i = 0; i < 12; i++)
		if (memcmp(sc->p, months[i], 3) == 0)
			mon = i;
	if (mon < 0 || sc->p[3] != ' ')
		return false;
	sc->p += 4;
	char dd[2] = {sc->p[0] == ' ' ? '0' : sc->p[0], sc->p[1]}; /* " 5" is day 5 */
	struct scan dsc = {dd, dd + 2};
	if (!take_digits(&dsc, 2, &d) || d < 1 || d > 31)
		return false;
	sc->p += 2;
	if (!take_char(sc, ' ') || !take_digits(sc, 2, &h) || !take_char(sc, ':') ||
	    !take_digits(sc, 2, &mi) || !take_char(sc, ':') || !take_digits(sc, 2, &s) ||
	    !take_char(sc, ' ') || h > 23 || mi > 59 || s > 60)
		return false;
	localtime_r(&now, &ref);
	tm = (struct tm){.tm_year = ref.tm_year, .tm_mon = mon, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi, .tm_sec = s, .tm_isdst = -1};
	time_t t = mktime(&tm);
	if (t > now + 86400) {
		tm = (struct tm){.tm_year = ref.tm_year - 1, .tm_mon = mon, .tm_mday = d,
				 .tm_hour = h, .tm_min = mi, .tm_sec = s, .tm_isdst = -1};
		t = mktime(&tm);
	}
	*ms = (int64_t)t * 1000;
	return true;
}

static bool tag_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '/' || c == '@';
}

/* "TAG[PID]: " or "TAG: " at the start of the content; absent is no error. */
static void take_tag(struct scan *sc, struct arena *a, struct syslog_msg *m)
{
	const char *b = sc->p, *pid = NULL;
	size_t n = 0, pidn = 0;

	while (!at_end(sc) && tag_char(*sc->p) && n <= TAG_MAX)
		sc->p++, n++;
	if (n == 0 || n > TAG_MAX || at_end(sc)) {
		sc->p = b;
		return;
	}
	if (*sc->p == '[') {
		const char *close = memchr(sc->p, ']', (size_t)(sc->end - sc->p));
		if (!close || close - sc->p - 1 > PROCID_MAX) {
			sc->p = b;
			return;
		}
		pid = sc->p + 1;
		pidn = (size_t)(close - pid);
		sc->p = close + 1;
	}
	if (!take_char(sc, ':')) {
		sc->p = b;
		return;
	}
	take_char(sc, ' ');
	m->app = keep(a, b, n);
	if (pid)
		m->procid = keep(a, pid, pidn);
}

/* After "<PRI>": [TIMESTAMP SP HOSTNAME SP] [TAG: ] MSG.  A message without a time
 * stamp is RFC 3164's "no HEADER" case: all content. */
static bool parse_3164(struct scan *sc, struct arena *a, int64_t now_ms, struct syslog_msg *m)
{
	const struct scan save = *sc;
	if (take_time3164(sc, now_ms, &m->reported_ms)) {
		const char *h = sc->p;
		while (!at_end(sc) && *sc->p != ' ' && *sc->p > 32 && *sc->p < 127)
			sc->p++;
		size_t hn = (size_t)(sc->p - h);
		if (hn > 0 && hn <= HOST_MAX && take_char(sc, ' '))
			m->host = keep(a, h, hn);
		else
			sc->p = h; /* no host name: content follows the time */
	} else {
		*sc = save;
		m->reported_ms = 0;
	}
	take_tag(sc, a, m);
	m->msg = keep(a, sc->p, (size_t)(sc->end - sc->p));
	return m->msg != NULL;
}

/* ---- entry ------------------------------------------------------------------------------ */

void syslog_parse(const char *in, size_t len, int64_t now_ms, struct syslog_msg *out,
		  char *scratch, size_t scratch_len)
{
	struct scan sc = {in, in + len};
	struct arena a = {.buf = scratch, .cap = scratch_len, .flags = &out->flags};
	bool ok;

	/* a trailing LF or NUL some senders add to datagrams is no part of the message */
	while (sc.end > sc.p && (sc.end[-1] == '\n' || sc.end[-1] == '\0' || sc.end[-1] == '\r'))
		sc.end--;
	*out = (struct syslog_msg){.facility = -1, .severity = -1, .msg = ""};
	if (!take_pri(&sc, &out->facility, &out->severity)) {
		out->facility = out->severity = -1;
		ok = false;
	} else if (sc.end - sc.p >= 2 && sc.p[0] == '1' && sc.p[1] == ' ') {
		sc.p += 2;
		ok = parse_5424(&sc, &a, out);
	} else {
		ok = parse_3164(&sc, &a, now_ms, out);
	}
	if (ok)
		return;
	/* kept whole: the PRI's facility and severity stay when it had a valid one */
	int fac = out->facility, sev = out->severity;
	*out = (struct syslog_msg){.facility = fac, .severity = sev, .flags = EVENT_F_PARSE_ERROR};
	a.used = 0;
	out->msg = keep(&a, in, (size_t)(sc.end - in));
	if (!out->msg)
		out->msg = "";
}
