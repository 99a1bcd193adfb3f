/*
 * ocds_json_parse.c - a fast path for json_loadb(data, len,
 * JSON_REJECT_DUPLICATES) on the importer's items.
 *
 * Why: jansson's lexer reads one character at a time through a stream
 * with a UTF-8 check per character; it was the largest cost of the
 * import's scanning thread (about 45 us of a 1.2 KB release). This parser
 * walks the bytes directly and builds the same jansson values through the
 * public API.
 *
 * Contract: it either returns exactly the value jansson would return for
 * the same bytes and flags, or NULL, and then the caller parses with
 * jansson (which also writes the error message). It gives up (NULL) on
 * anything it does not handle exactly as jansson does: invalid or
 * unusual input (malformed JSON, control characters in strings, "\u0000",
 * lone surrogates, invalid UTF-8, duplicate keys, integers beyond
 * json_int_t, reals that overflow, nesting deeper than FAST_MAX_DEPTH,
 * anything after the value but whitespace). So accepting and rejecting
 * stay jansson's; only the common case is faster.
 * Numbers: an integer token (no '.', 'e' or 'E') is a jansson integer
 * (strtoll, as jansson; up to 18 digits, which cannot overflow, summed
 * directly), any other a real (strtod, as jansson in the C locale; a
 * locale with another decimal point gives up).
 * Strings are checked as jansson checks them (UTF-8, no control bytes,
 * no "\u0000"), so a value returned means the whole input was valid
 * UTF-8 without NUL bytes: the importer relies on that to skip its own
 * UTF-8 pass, and member names go to jansson with their length, unchecked.
 * The plain-ASCII run of a string is scanned sixteen (SSE2) or eight
 * bytes at a time.
 * Shared strings: most string values of OCDS releases repeat (codes,
 * currencies, the buyer's name). A string value seen often (SEEN_ADMIT
 * times in a thread's recent strings) is made once, immortal (refcount
 * (size_t)-1, which jansson's json_incref / json_decref leave alone, as
 * for true, false and null) and kept in a process-wide table of
 * SHARE_SLOTS slots that only ever fills; later trees use that one value.
 * The bar is high enough that one-off values (an ocid in its few
 * releases) stay out: the table holds the vocabulary, stays sparse, and
 * a long import or a long-running server does not fill it early.
 * Each use saves two allocations when parsing and two frees when the
 * tree is freed, on another thread in the importer (mimalloc's
 * cross-thread frees are the dear ones). Invariant: nobody changes a
 * string value of a parsed tree in place (json_string_set*); replacing
 * it in its container is fine. The table is written once per slot (claim,
 * fill, publish with release), so lookups take no lock.
 *
 * The same lexer also builds jv trees (jv.h) for the importer's workers
 * (ocds_json_parse_jv, at the end of the file): the same grammar and the
 * same refusals, plus objects of more than 64 members (its duplicate
 * check is quadratic); strings without escapes are read in place in a
 * copy of the input made in the arena, their closing quote overwritten
 * with a NUL.
 */
#include "common.h"
#include "ocds_json.h"
#include "jv.h"

#include <locale.h>
#include <math.h>
#include <stdatomic.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define FAST_MAX_DEPTH 128 /* deeper input goes to jansson (which limits it) */

struct fp {
    const unsigned char *end;
    char *tmp;      /* decoded strings with escapes */
    size_t tmpcap;
    int nest;       /* deepest container level seen (the top one is 1) */
};

/* The jv builder's state (ocds_json_parse_jv): the arena, the input's
 * copy in it (strings without escapes are read in place there, their
 * closing '"' overwritten with a NUL) and the stacks of the members and
 * elements of the containers being read. */
struct fpj {
    struct fp f;
    struct bf_arena *arena;
    const unsigned char *start;
    char *copy;
    struct jv_member *ms;
    size_t nms, capms;
    jv_t *vs;
    size_t nvs, capvs;
};

/* The parser passes its position as a value and returns the next one
 * (NULL: give up), so it stays in a register across the calls into
 * jansson. Compact JSON has no whitespace between tokens: one compare
 * settles the common case. */
static inline const unsigned char *ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && *p <= ' ' && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* Length of the valid UTF-8 sequence at s (lead byte >= 0x80), as
 * jansson's utf8_check_full accepts it, or 0. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t n, i;
    uint32_t v;

    if (c >= 0xC2 && c <= 0xDF)
        n = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, v = c & 0x07;
    else
        return 0;
    if ((size_t)(end - s) < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return n;
}

static int hex4(const unsigned char *s, uint32_t *out)
{
    uint32_t v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        unsigned c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void tmp_put(struct fp *f, size_t *len, const void *src, size_t n)
{
    if (*len + n + 1 > f->tmpcap) {
        f->tmpcap = (*len + n + 1) * 2;
        f->tmp = bf_xrealloc(f->tmp, f->tmpcap);
    }
    memcpy(f->tmp + *len, src, n);
    *len += n;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* The first byte at or after q that is not plain string ASCII (a control
 * byte, '"', '\\' or >= 0x80), or end. Eight bytes at a time: a byte
 * below n makes (w - n*ONES) & ~w & HIGHS non-zero, and '"' / '\\' are
 * bytes of w ^ '"'*ONES / w ^ '\\'*ONES below 1. The borrow can mark
 * bytes after a marked one too, never before it, so on a little-endian
 * machine the lowest mark is the first such byte. */
static inline __attribute__((always_inline)) const unsigned char *plain_run(const unsigned char *q,
                                                                            const unsigned char *end)
{
#if defined(__SSE2__) && defined(__GNUC__)
    /* sixteen at a time: as signed bytes, control bytes and bytes >= 0x80
     * are both below 0x20 */
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
    while (end - q >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                 _mm_cmplt_epi8(v, space));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return q + __builtin_ctz(bits);
        q += 16;
    }
#endif
    while (end - q >= 8) {
        uint64_t w, x, y, m;
        memcpy(&w, q, 8);
        x = w ^ ('"' * ONES);
        y = w ^ ('\\' * ONES);
        m = (((w - 0x20 * ONES) & ~w) | ((x - ONES) & ~x) | ((y - ONES) & ~y) | w) & HIGHS;
        if (m) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return q + (__builtin_ctzll(m) >> 3);
#else
            break;
#endif
        }
        q += 8;
    }
    while (q < end && *q >= 0x20 && *q != '"' && *q != '\\' && *q < 0x80)
        q++;
    return q;
}

/* The rest of a string whose plain run stopped at q, before its closing
 * '"' (start: after the opening one): its bytes in *s, *n (pointing
 * into the input when it has no escapes, else into f->tmp). Returns the
 * position after the closing '"', or NULL: give up. */
static const unsigned char *string_rest(struct fp *f, const unsigned char *start, const unsigned char *q,
                                        const char **s, size_t *n)
{
    const unsigned char *p = start;
    size_t len = 0;
    int escaped = 0;

    for (;;) {
        if (escaped)
            tmp_put(f, &len, p, (size_t)(q - p));
        p = q;
        if (q == f->end || *q < 0x20)
            return NULL;
        if (*q == '"') {
            if (escaped) {
                *s = f->tmp, *n = len;
            } else {
                *s = (const char *)start, *n = (size_t)(q - start);
            }
            return q + 1;
        }
        if (*q >= 0x80) {
            size_t k = utf8_seq(q, f->end);
            if (!k)
                return NULL;
            if (escaped)
                tmp_put(f, &len, q, k);
            p = q + k;
            q = plain_run(p, f->end);
            continue;
        }
        /* a backslash: from here on the string is decoded into tmp */
        if (!escaped) {
            escaped = 1;
            tmp_put(f, &len, start, (size_t)(q - start));
        }
        if (f->end - q < 2)
            return NULL;
        {
            char c;
            uint32_t u, lo;
            unsigned char utf[4];
            size_t un;
            switch (q[1]) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u':
                if (f->end - q < 6 || hex4(q + 2, &u) < 0 || u == 0)
                    return NULL;
                p = q + 6;
                if (u >= 0xDC00 && u <= 0xDFFF)
                    return NULL;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (f->end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) < 0 || lo < 0xDC00 ||
                        lo > 0xDFFF)
                        return NULL;
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
                if (u < 0x80)
                    utf[0] = (unsigned char)u, un = 1;
                else if (u < 0x800)
                    utf[0] = (unsigned char)(0xC0 | (u >> 6)), utf[1] = (unsigned char)(0x80 | (u & 0x3F)), un = 2;
                else if (u < 0x10000)
                    utf[0] = (unsigned char)(0xE0 | (u >> 12)), utf[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F)),
                    utf[2] = (unsigned char)(0x80 | (u & 0x3F)), un = 3;
                else
                    utf[0] = (unsigned char)(0xF0 | (u >> 18)), utf[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F)),
                    utf[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F)), utf[3] = (unsigned char)(0x80 | (u & 0x3F)),
                    un = 4;
                tmp_put(f, &len, utf, un);
                q = plain_run(p, f->end);
                continue;
            default:
                return NULL;
            }
            tmp_put(f, &len, &c, 1);
            p = q + 2;
            q = plain_run(p, f->end);
        }
    }
}

/* A string at p (after its '"'), as string_rest; the usual string, plain
 * ASCII up to its '"', inline. */
static inline __attribute__((always_inline)) const unsigned char *string(struct fp *f, const unsigned char *p,
                                                                         const char **s, size_t *n)
{
    const unsigned char *q = plain_run(p, f->end);
    if (q < f->end && *q == '"') {
        *s = (const char *)p, *n = (size_t)(q - p);
        return q + 1;
    }
    return string_rest(f, p, q, s, n);
}

/* A number token at p, as jansson's lexer reads it: its type and value
 * in *out (JSON_INTEGER, u.i or JSON_REAL, u.d). */
static const unsigned char *number_token(const unsigned char *p, const unsigned char *end, jv_t *out)
{
    const unsigned char *s = p, *q = s;
    char buf[64];
    int is_real = 0;
    size_t n;

    if (q < end && *q == '-')
        q++;
    if (q == end || *q < '0' || *q > '9')
        return NULL;
    if (*q == '0') {
        q++;
        if (q < end && *q >= '0' && *q <= '9')
            return NULL; /* leading zero: jansson rejects */
    } else {
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < end && *q == '.') {
        is_real = 1;
        q++;
        if (q == end || *q < '0' || *q > '9')
            return NULL;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        is_real = 1;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (q == end || *q < '0' || *q > '9')
            return NULL;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    }
    n = (size_t)(q - s);
    if (!is_real && n - (*s == '-') <= 18) {
        /* at most 18 digits cannot overflow: strtoll's value, directly */
        const unsigned char *d = s + (*s == '-');
        long long v = 0;
        while (d < q)
            v = v * 10 + (*d++ - '0');
        out->type = JSON_INTEGER;
        out->u.i = (json_int_t)(*s == '-' ? -v : v);
        return q;
    }
    if (n >= sizeof buf)
        return NULL; /* long numbers: jansson's business */
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    if (!is_real) {
        char *endp;
        long long v = strtoll(buf, &endp, 10);
        if (errno == ERANGE || *endp)
            return NULL;
        out->type = JSON_INTEGER;
        out->u.i = (json_int_t)v;
    } else {
        /* asked here, not per item: most items have no real */
        const struct lconv *lc = localeconv();
        char *endp;
        double d;
        if (!lc || !lc->decimal_point || strcmp(lc->decimal_point, "."))
            return NULL; /* strtod would not read JSON reals */
        errno = 0;
        d = strtod(buf, &endp);
        if (*endp || ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE))
            return NULL;
        out->type = JSON_REAL;
        out->u.d = d;
    }
    return q;
}

/* The same as a jansson value. */
static const unsigned char *number(const unsigned char *p, const unsigned char *end, json_t **out)
{
    jv_t v;
    if (!(p = number_token(p, end, &v)))
        return NULL;
    *out = v.type == JSON_INTEGER ? json_integer(v.u.i) : json_real(v.u.d);
    return *out ? p : NULL;
}

/* ---- shared string values (see the top of the file) ----------------------- */

#define SHARE_SLOTS 2048   /* power of two */
#define SHARE_PROBES 4
#define SHARE_MAX_LEN 108  /* a slot is two cache lines */
#define SEEN_SLOTS 4096    /* power of two */
#define SEEN_ADMIT 32      /* sightings before a string is shared (< 64) */

/* A shared string: claimed once, filled, then v published (release);
 * nothing in it changes after that, so lookups need no lock. */
struct share_slot {
    _Atomic(json_t *) v;
    atomic_uint claimed;
    uint32_t h;
    uint32_t len;
    char s[SHARE_MAX_LEN];
} __attribute__((aligned(64)));

static struct share_slot share_tab[SHARE_SLOTS];
/* recent strings' hash tags (high 10 bits) and sightings; per thread, so
 * counting needs no atomics, and one-off strings (ids, dates) rarely get
 * far enough to take a slot for good */
static _Thread_local uint16_t share_seen[SEEN_SLOTS]; /* tag << 6 | sightings */

#define HK1 UINT64_C(0x9E3779B97F4A7C15)
#define HK2 UINT64_C(0xBF58476D1CE4E5B9)

static inline uint64_t load8(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

static inline uint32_t load4(const char *s)
{
    uint32_t w;
    memcpy(&w, s, 4);
    return w;
}

/* Every byte counts (ids of one file differ only in their middle):
 * whole words, then the last eight (overlapping) or the few there are. */
static inline uint64_t share_hash(const char *s, size_t n)
{
    uint64_t h = (uint64_t)n * HK1, w;
    size_t i;

    if (n >= 8) {
        for (i = 0; i + 8 < n; i += 8)
            h = (h ^ load8(s + i)) * HK2;
        w = load8(s + n - 8);
    } else if (n >= 4) {
        w = (uint64_t)load4(s) << 32 | load4(s + n - 4);
    } else if (n) {
        w = (uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[n / 2] << 8 | (unsigned char)s[n - 1];
    } else {
        w = 0;
    }
    h = (h ^ w) * HK2;
    return h ^ (h >> 31);
}

/* memcmp without a call: the strings here are short. */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
    size_t i;
    if (n >= 8) {
        for (i = 0; i + 8 < n; i += 8)
            if (load8(a + i) != load8(b + i))
                return 0;
        return load8(a + n - 8) == load8(b + n - 8);
    }
    if (n >= 4)
        return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
    return !n || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/* string_value's other cases: a later slot, or a new string (shared
 * from here on once it has been seen often enough). */
static __attribute__((noinline)) json_t *string_new(const char *s, size_t n, uint64_t h)
{
    uint32_t h32 = (uint32_t)(h >> 32);
    uint16_t tag = (uint16_t)(h32 >> 22 << 6), *seen;
    size_t i = (size_t)h, k;
    json_t *v;

    for (k = 0; k < SHARE_PROBES; k++) {
        struct share_slot *e = &share_tab[(i + k) & (SHARE_SLOTS - 1)];
        json_t *x = atomic_load_explicit(&e->v, memory_order_acquire);
        if (!x) {
            if (!atomic_load_explicit(&e->claimed, memory_order_relaxed))
                break;
            continue; /* being filled by another thread */
        }
        if (e->h == h32 && e->len == n && same_bytes(e->s, s, n))
            return x;
    }
    v = json_stringn_nocheck(s, n);
    if (!v || k == SHARE_PROBES)
        return v;
    seen = &share_seen[(h >> 20) & (SEEN_SLOTS - 1)];
    if ((*seen & ~0x3F) != tag) {
        *seen = tag | 1;
        return v;
    }
    if ((*seen & 0x3F) < SEEN_ADMIT - 1) {
        (*seen)++;
        return v;
    }
    for (; k < SHARE_PROBES; k++) {
        struct share_slot *e = &share_tab[(i + k) & (SHARE_SLOTS - 1)];
        unsigned zero = 0;
        if (atomic_compare_exchange_strong_explicit(&e->claimed, &zero, 1, memory_order_acq_rel,
                                                    memory_order_relaxed)) {
            e->h = h32;
            e->len = (uint32_t)n;
            memcpy(e->s, s, n);
            v->refcount = (size_t)-1; /* immortal, as jansson's true / false / null */
            atomic_store_explicit(&e->v, v, memory_order_release);
            return v;
        }
    }
    return v;
}

/* A string value: the shared one when this string is common (usually
 * found in its first slot, inline), else a new one. */
static inline __attribute__((always_inline)) json_t *string_value(const char *s, size_t n)
{
    if (n <= SHARE_MAX_LEN) {
        uint64_t h = share_hash(s, n);
        struct share_slot *e = &share_tab[(size_t)h & (SHARE_SLOTS - 1)];
        json_t *x = atomic_load_explicit(&e->v, memory_order_acquire);
        if (x && e->h == (uint32_t)(h >> 32) && e->len == n && same_bytes(e->s, s, n))
            return x;
        return string_new(s, n, h);
    }
    return json_stringn_nocheck(s, n);
}

static const unsigned char *value(struct fp *f, const unsigned char *p, int depth, json_t **out);

/* A member's or element's value: strings, most of them, without a call. */
static inline __attribute__((always_inline)) const unsigned char *member(struct fp *f, const unsigned char *p,
                                                                         int depth, json_t **out)
{
    const char *s;
    size_t n;

    if (p < f->end && *p == '"') {
        if (!(p = string(f, p + 1, &s, &n)) || !(*out = string_value(s, n)))
            return NULL;
        return p;
    }
    return value(f, p, depth, out);
}

/* p at the byte c, or after whitespace at it, or NULL. The byte is
 * usually there: whitespace costs only when there is some. */
static inline __attribute__((always_inline)) const unsigned char *expect(const unsigned char *p,
                                                                         const unsigned char *end, unsigned char c)
{
    if (p < end && *p == c)
        return p;
    p = ws(p, end);
    return p < end && *p == c ? p : NULL;
}

/* After a member or element: p past the ',' that follows (*more = 1),
 * or at the closing byte c (*more = 0), skipping whitespace only when
 * there is some; NULL if neither follows. */
static inline __attribute__((always_inline)) const unsigned char *
next_item(const unsigned char *p, const unsigned char *end, unsigned char c, int *more)
{
    if (!(p < end && (*p == ',' || *p == c)))
        p = ws(p, end);
    if (p >= end)
        return NULL;
    if (*p == ',') {
        *more = 1;
        return p + 1;
    }
    *more = 0;
    return *p == c ? p : NULL;
}

/* An object at p (after its '{'). Duplicate keys: jansson replaces the
 * value, so the object ends up with fewer members than were read; that
 * is checked once at its end (JSON_REJECT_DUPLICATES: give up). */
static const unsigned char *object(struct fp *f, const unsigned char *p, int depth, json_t **out)
{
    const unsigned char *end = f->end, *q;
    json_t *o = json_object(), *v;
    size_t members = 0;
    int more;

    if (!o)
        return NULL;
    if (depth >= f->nest)
        f->nest = depth + 1;
    if (!(p < end && *p == '"')) {
        p = ws(p, end);
        if (p < end && *p == '}') {
            *out = o;
            return p + 1;
        }
    }
    for (;;) {
        const char *k;
        size_t kn;
        char *key = NULL;

        if (!(p = expect(p, end, '"')))
            goto fail;
        q = plain_run(p + 1, end);
        if (q < end && *q == '"') {
            k = (const char *)p + 1, kn = (size_t)(q - p - 1);
            p = q + 1;
        } else {
            if (!(p = string_rest(f, p + 1, q, &k, &kn)))
                goto fail;
            if (k == f->tmp) {
                /* a key with escapes lives in tmp, which the value's
                 * strings reuse: a copy (rare) */
                key = bf_xmalloc(kn + 1);
                memcpy(key, k, kn);
                k = key;
            }
        }
        if ((p = expect(p, end, ':')))
            p = member(f, p + 1, depth + 1, &v);
        if (p && json_object_setn_new_nocheck(o, k, kn, v) < 0)
            p = NULL;
        if (key)
            free(key);
        if (!p)
            goto fail;
        members++;
        if (!(p = next_item(p, end, '}', &more)))
            goto fail;
        if (more)
            continue;
        if (json_object_size(o) != members)
            goto fail;
        *out = o;
        return p + 1;
    }
fail:
    json_decref(o);
    return NULL;
}

static const unsigned char *array(struct fp *f, const unsigned char *p, int depth, json_t **out)
{
    const unsigned char *end = f->end;
    json_t *a = json_array(), *v;
    int more;

    if (!a)
        return NULL;
    if (depth >= f->nest)
        f->nest = depth + 1;
    if (p < end && *p <= ' ')
        p = ws(p, end);
    if (p < end && *p == ']') {
        *out = a;
        return p + 1;
    }
    for (;;) {
        if (!(p = member(f, p, depth + 1, &v)) || json_array_append_new(a, v) < 0)
            goto fail;
        if (!(p = next_item(p, end, ']', &more)))
            goto fail;
        if (more)
            continue;
        *out = a;
        return p + 1;
    }
fail:
    json_decref(a);
    return NULL;
}

static const unsigned char *literal(const unsigned char *p, const unsigned char *end, const char *word, size_t n,
                                    json_t *v, json_t **out)
{
    if ((size_t)(end - p) < n || memcmp(p, word, n))
        return NULL;
    *out = v;
    return p + n;
}

static const unsigned char *value(struct fp *f, const unsigned char *p, int depth, json_t **out)
{
    const char *s;
    size_t n;

    if (p == f->end)
        return NULL;
    switch (*p) {
    case ' ':
    case '\n':
    case '\r':
    case '\t':
        return value(f, ws(p, f->end), depth, out); /* ws stops at something else */
    case '"':
        if (!(p = string(f, p + 1, &s, &n)) || !(*out = string_value(s, n)))
            return NULL;
        return p;
    case '{':
        return depth > FAST_MAX_DEPTH ? NULL : object(f, p + 1, depth, out);
    case '[':
        return depth > FAST_MAX_DEPTH ? NULL : array(f, p + 1, depth, out);
    case 't':
        return literal(p, f->end, "true", 4, json_true(), out);
    case 'f':
        return literal(p, f->end, "false", 5, json_false(), out);
    case 'n':
        return literal(p, f->end, "null", 4, json_null(), out);
    default:
        return number(p, f->end, out);
    }
}

json_t *ocds_json_parse_fast(const char *data, size_t len)
{
    int nest;
    return ocds_json_parse_fast_nest(data, len, &nest);
}

json_t *ocds_json_parse_fast_nest(const char *data, size_t len, int *nest)
{
    struct fp f = { (const unsigned char *)data + len, NULL, 0, 0 };
    const unsigned char *p = (const unsigned char *)data;
    json_t *v = NULL;

    p = ws(p, f.end);
    if (p == f.end || (*p != '{' && *p != '['))
        return NULL; /* without JSON_DECODE_ANY jansson wants an object or array */
    p = value(&f, p, 0, &v);
    if (p && ws(p, f.end) != f.end) { /* jansson's EOF check: only whitespace may follow */
        json_decref(v);
        p = NULL;
    }
    free(f.tmp);
    *nest = f.nest;
    return p ? v : NULL;
}

/* ---- the same grammar into a jv tree (jv.h) ---------------------------------- */

#define JV_MAX_MEMBERS 64 /* wider objects go to jansson (the duplicate check is quadratic) */

/* A string read by string() as a NUL-terminated string the tree keeps:
 * in place in the copy, or (escapes decoded into tmp) copied. */
static const char *jv_str(struct fpj *j, const char *s, size_t n)
{
    if ((const unsigned char *)s >= j->start && (const unsigned char *)s < j->f.end) {
        char *c = j->copy + ((const unsigned char *)s - j->start);
        c[n] = '\0'; /* the closing '"' in the copy */
        return c;
    }
    return bf_arena_strndup(j->arena, s, n);
}

static const unsigned char *jv_value(struct fpj *j, const unsigned char *p, int depth, jv_t *out);

/* A full stack of the members or elements being read, twice as large. */
static void *stack_grow(void *v, size_t *cap, size_t size)
{
    *cap = *cap ? 2 * *cap : 64;
    return bf_xrealloc(v, *cap * size);
}

/* A finished container's n items, moved from a stack into the arena. */
static void *stack_take(struct fpj *j, const void *items, size_t n, size_t size)
{
    void *v = bf_arena_alloc(j->arena, n * size);
    memcpy(v, items, n * size);
    return v;
}

static const unsigned char *jv_string(struct fpj *j, const unsigned char *p, jv_t *out)
{
    const char *s;
    size_t n;

    if (!(p = string(&j->f, p, &s, &n)) || n > UINT32_MAX)
        return NULL;
    out->type = JSON_STRING;
    out->n = (uint32_t)n;
    out->u.s = jv_str(j, s, n);
    return p;
}

static int jv_dup_key(const struct jv_member *m, size_t n)
{
    size_t a, b;
    for (a = 1; a < n; a++)
        for (b = 0; b < a; b++)
            if (m[a].klen == m[b].klen && m[a].key[0] == m[b].key[0] && !memcmp(m[a].key, m[b].key, m[a].klen))
                return 1;
    return 0;
}

static const unsigned char *jv_object(struct fpj *j, const unsigned char *p, int depth, jv_t *out)
{
    const unsigned char *end = j->f.end;
    size_t base = j->nms, n;
    int more;

    if (depth >= j->f.nest)
        j->f.nest = depth + 1;
    out->type = JSON_OBJECT;
    out->n = 0;
    out->u.m = NULL;
    if (!(p < end && *p == '"')) {
        p = ws(p, end);
        if (p < end && *p == '}')
            return p + 1;
    }
    for (;;) {
        struct jv_member m;
        const char *k;
        size_t kn;

        if (!(p = expect(p, end, '"')) || !(p = string(&j->f, p + 1, &k, &kn)))
            goto fail;
        m.key = jv_str(j, k, kn);
        m.klen = kn;
        if (!(p = expect(p, end, ':')) || !(p = jv_value(j, p + 1, depth + 1, &m.v)))
            goto fail;
        if (j->nms == j->capms)
            j->ms = stack_grow(j->ms, &j->capms, sizeof *j->ms);
        j->ms[j->nms++] = m;
        if (j->nms - base > JV_MAX_MEMBERS || !(p = next_item(p, end, '}', &more)))
            goto fail;
        if (more)
            continue;
        n = j->nms - base;
        if (jv_dup_key(j->ms + base, n))
            goto fail; /* JSON_REJECT_DUPLICATES */
        out->n = (uint32_t)n;
        out->u.m = stack_take(j, j->ms + base, n, sizeof *out->u.m);
        j->nms = base;
        return p + 1;
    }
fail:
    j->nms = base;
    return NULL;
}

static const unsigned char *jv_array(struct fpj *j, const unsigned char *p, int depth, jv_t *out)
{
    const unsigned char *end = j->f.end;
    size_t base = j->nvs, n;
    int more;

    if (depth >= j->f.nest)
        j->f.nest = depth + 1;
    out->type = JSON_ARRAY;
    out->n = 0;
    out->u.a = NULL;
    if (p < end && *p <= ' ')
        p = ws(p, end);
    if (p < end && *p == ']')
        return p + 1;
    for (;;) {
        jv_t v;
        if (!(p = jv_value(j, p, depth + 1, &v)))
            goto fail;
        if (j->nvs == j->capvs)
            j->vs = stack_grow(j->vs, &j->capvs, sizeof *j->vs);
        j->vs[j->nvs++] = v;
        if (j->nvs - base > UINT32_MAX || !(p = next_item(p, end, ']', &more)))
            goto fail;
        if (more)
            continue;
        n = j->nvs - base;
        out->n = (uint32_t)n;
        out->u.a = stack_take(j, j->vs + base, n, sizeof *out->u.a);
        j->nvs = base;
        return p + 1;
    }
fail:
    j->nvs = base;
    return NULL;
}

static const unsigned char *jv_literal(const unsigned char *p, const unsigned char *end, const char *word,
                                       size_t n, json_type t, jv_t *out)
{
    if ((size_t)(end - p) < n || memcmp(p, word, n))
        return NULL;
    out->type = t;
    out->n = 0;
    out->u.i = 0;
    return p + n;
}

static const unsigned char *jv_value(struct fpj *j, const unsigned char *p, int depth, jv_t *out)
{
    const unsigned char *end = j->f.end;

    if (p < end && *p <= ' ')
        p = ws(p, end);
    if (p == end)
        return NULL;
    out->n = 0;
    switch (*p) {
    case '"':
        return jv_string(j, p + 1, out);
    case '{':
        return depth > FAST_MAX_DEPTH ? NULL : jv_object(j, p + 1, depth, out);
    case '[':
        return depth > FAST_MAX_DEPTH ? NULL : jv_array(j, p + 1, depth, out);
    case 't':
        return jv_literal(p, end, "true", 4, JSON_TRUE, out);
    case 'f':
        return jv_literal(p, end, "false", 5, JSON_FALSE, out);
    case 'n':
        return jv_literal(p, end, "null", 4, JSON_NULL, out);
    default:
        return number_token(p, end, out);
    }
}

jv_t *ocds_json_parse_jv(struct bf_arena *a, const char *data, size_t len, int *nest)
{
    struct fpj j;
    const unsigned char *p = (const unsigned char *)data;
    jv_t *v = NULL;

    memset(&j, 0, sizeof j);
    j.f.end = p + len;
    j.arena = a;
    j.start = p;
    p = ws(p, j.f.end);
    if (p == j.f.end || (*p != '{' && *p != '['))
        return NULL; /* without JSON_DECODE_ANY jansson wants an object or array */
    j.copy = bf_arena_alloc(a, len + 1);
    memcpy(j.copy, data, len);
    j.copy[len] = '\0';
    v = bf_arena_alloc(a, sizeof *v);
    p = jv_value(&j, p, 0, v);
    if (p && ws(p, j.f.end) != j.f.end) /* jansson's EOF check: only whitespace may follow */
        p = NULL;
    free(j.f.tmp);
    free(j.ms);
    free(j.vs);
    *nest = j.f.nest;
    return p ? v : NULL;
}
