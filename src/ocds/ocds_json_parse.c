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
 */
#include "common.h"
#include "ocds_json.h"

#include <locale.h>
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define FAST_MAX_DEPTH 128 /* deeper input goes to jansson (which limits it) */

struct fp {
    const unsigned char *p, *end;
    char *tmp;      /* decoded strings with escapes */
    size_t tmpcap;
    int nest;       /* deepest container level seen (the top one is 1) */
};

static void ws(struct fp *f)
{
    while (f->p < f->end && (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t'))
        f->p++;
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
static const unsigned char *plain_run(const unsigned char *q, const unsigned char *end)
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

/* A string at f->p (after its '"'): its bytes in *s, *n (pointing into
 * the input when it has no escapes, else into f->tmp). -1: give up. */
static int string(struct fp *f, const char **s, size_t *n)
{
    const unsigned char *start = f->p;
    size_t len = 0;
    int escaped = 0;

    for (;;) {
        const unsigned char *q = plain_run(f->p, f->end);
        if (escaped)
            tmp_put(f, &len, f->p, (size_t)(q - f->p));
        f->p = q;
        if (q == f->end || *q < 0x20)
            return -1;
        if (*q == '"') {
            f->p = q + 1;
            if (escaped) {
                *s = f->tmp, *n = len;
            } else {
                *s = (const char *)start, *n = (size_t)(q - start);
            }
            return 0;
        }
        if (*q >= 0x80) {
            size_t k = utf8_seq(q, f->end);
            if (!k)
                return -1;
            if (escaped)
                tmp_put(f, &len, q, k);
            f->p = q + k;
            continue;
        }
        /* a backslash: from here on the string is decoded into tmp */
        if (!escaped) {
            escaped = 1;
            tmp_put(f, &len, start, (size_t)(q - start));
        }
        if (f->end - q < 2)
            return -1;
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
                    return -1;
                f->p = q + 6;
                if (u >= 0xDC00 && u <= 0xDFFF)
                    return -1;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (f->end - f->p < 6 || f->p[0] != '\\' || f->p[1] != 'u' || hex4(f->p + 2, &lo) < 0 ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return -1;
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    f->p += 6;
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
                continue;
            default:
                return -1;
            }
            tmp_put(f, &len, &c, 1);
            f->p = q + 2;
        }
    }
}

/* A number token at f->p, as jansson's lexer reads it. */
static json_t *number(struct fp *f)
{
    const unsigned char *s = f->p, *q = s;
    char buf[64];
    int is_real = 0;
    size_t n;

    if (q < f->end && *q == '-')
        q++;
    if (q == f->end || *q < '0' || *q > '9')
        return NULL;
    if (*q == '0') {
        q++;
        if (q < f->end && *q >= '0' && *q <= '9')
            return NULL; /* leading zero: jansson rejects */
    } else {
        while (q < f->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < f->end && *q == '.') {
        is_real = 1;
        q++;
        if (q == f->end || *q < '0' || *q > '9')
            return NULL;
        while (q < f->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < f->end && (*q == 'e' || *q == 'E')) {
        is_real = 1;
        q++;
        if (q < f->end && (*q == '+' || *q == '-'))
            q++;
        if (q == f->end || *q < '0' || *q > '9')
            return NULL;
        while (q < f->end && *q >= '0' && *q <= '9')
            q++;
    }
    n = (size_t)(q - s);
    if (!is_real && n - (*s == '-') <= 18) {
        /* at most 18 digits cannot overflow: strtoll's value, directly */
        const unsigned char *d = s + (*s == '-');
        long long v = 0;
        while (d < q)
            v = v * 10 + (*d++ - '0');
        f->p = q;
        return json_integer((json_int_t)(*s == '-' ? -v : v));
    }
    if (n >= sizeof buf)
        return NULL; /* long numbers: jansson's business */
    memcpy(buf, s, n);
    buf[n] = '\0';
    f->p = q;
    errno = 0;
    if (!is_real) {
        char *endp;
        long long v = strtoll(buf, &endp, 10);
        if (errno == ERANGE || *endp)
            return NULL;
        return json_integer((json_int_t)v);
    } else {
        char *endp;
        double d = strtod(buf, &endp);
        if (*endp || ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE))
            return NULL;
        return json_real(d);
    }
}

static json_t *value(struct fp *f, int depth);

static json_t *object(struct fp *f, int depth)
{
    json_t *o = json_object(), *v;
    const char *k;
    size_t kn, size = 0;

    if (depth >= f->nest)
        f->nest = depth + 1;
    ws(f);
    if (f->p < f->end && *f->p == '}') {
        f->p++;
        return o;
    }
    for (;;) {
        if (f->p == f->end || *f->p != '"')
            goto fail;
        f->p++;
        if (string(f, &k, &kn) < 0)
            goto fail;
        {
            /* a key with escapes lives in tmp, which the value's strings
             * reuse: copy it; a plain one points into the input */
            char kb[256], *key = NULL;
            if (k == f->tmp) {
                key = kn < sizeof kb ? kb : bf_xmalloc(kn);
                memcpy(key, k, kn);
                k = key;
            }
            ws(f);
            v = NULL;
            if (f->p < f->end && *f->p == ':') {
                f->p++;
                ws(f);
                v = value(f, depth + 1);
            }
            /* jansson replaces a duplicate key's value: the size tells
             * (JSON_REJECT_DUPLICATES: give up) */
            if (v && (json_object_setn_new_nocheck(o, k, kn, v) < 0 || json_object_size(o) != ++size))
                v = NULL;
            if (key && key != kb)
                free(key);
            if (!v)
                goto fail;
        }
        ws(f);
        if (f->p < f->end && *f->p == ',') {
            f->p++;
            ws(f);
            continue;
        }
        if (f->p < f->end && *f->p == '}') {
            f->p++;
            return o;
        }
        goto fail;
    }
fail:
    json_decref(o);
    return NULL;
}

static json_t *array(struct fp *f, int depth)
{
    json_t *a = json_array(), *v;

    if (depth >= f->nest)
        f->nest = depth + 1;
    ws(f);
    if (f->p < f->end && *f->p == ']') {
        f->p++;
        return a;
    }
    for (;;) {
        v = value(f, depth + 1);
        if (!v)
            goto fail;
        json_array_append_new(a, v);
        ws(f);
        if (f->p < f->end && *f->p == ',') {
            f->p++;
            ws(f);
            continue;
        }
        if (f->p < f->end && *f->p == ']') {
            f->p++;
            return a;
        }
        goto fail;
    }
fail:
    json_decref(a);
    return NULL;
}

static int literal(struct fp *f, const char *word, size_t n)
{
    if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n))
        return -1;
    f->p += n;
    return 0;
}

static json_t *value(struct fp *f, int depth)
{
    const char *s;
    size_t n;

    if (depth > FAST_MAX_DEPTH || f->p == f->end)
        return NULL;
    switch (*f->p) {
    case '{':
        f->p++;
        return object(f, depth);
    case '[':
        f->p++;
        return array(f, depth);
    case '"':
        f->p++;
        if (string(f, &s, &n) < 0)
            return NULL;
        return json_stringn_nocheck(s, n);
    case 't':
        return literal(f, "true", 4) < 0 ? NULL : json_true();
    case 'f':
        return literal(f, "false", 5) < 0 ? NULL : json_false();
    case 'n':
        return literal(f, "null", 4) < 0 ? NULL : json_null();
    default:
        return number(f);
    }
}

json_t *ocds_json_parse_fast(const char *data, size_t len)
{
    int nest;
    return ocds_json_parse_fast_nest(data, len, &nest);
}

json_t *ocds_json_parse_fast_nest(const char *data, size_t len, int *nest)
{
    struct fp f = { (const unsigned char *)data, (const unsigned char *)data + len, NULL, 0, 0 };
    const struct lconv *lc = localeconv();
    json_t *v;

    if (!lc || !lc->decimal_point || strcmp(lc->decimal_point, "."))
        return NULL; /* strtod would not read JSON reals */
    ws(&f);
    if (f.p == f.end || (*f.p != '{' && *f.p != '['))
        return NULL; /* without JSON_DECODE_ANY jansson wants an object or array */
    v = value(&f, 0);
    ws(&f);
    if (v && f.p != f.end) { /* jansson's EOF check: only whitespace may follow */
        json_decref(v);
        v = NULL;
    }
    free(f.tmp);
    *nest = f.nest;
    return v;
}
