/*
 * ocds_import_scan.c - splits the bytes of one input file into OCDS items:
 * releases (normalised), linked-release references, rejections and notes,
 * each with its file position and JSON pointer. Pure: no store, no I/O.
 *
 * How a file is read:
 *  - Encoding: a UTF-8 BOM is skipped; UTF-16/32 is rejected; in an item
 *    that is not valid UTF-8 the bytes that are not part of a valid UTF-8
 *    sequence are read as ISO-8859-1 (each becomes its code point), with a
 *    note at the first such item and a count at the end. Checking per item
 *    keeps a multi-gigabyte file to one pass.
 *  - Layout: if the first value ends on its first line and another value
 *    follows, the file is JSON Lines: every non-blank line is one item,
 *    and a bad line loses only itself. Otherwise the file is a sequence of
 *    JSON values (usually one). A top-level array's elements are items; a
 *    top-level object is parsed whole when it fits max_item, and larger
 *    objects (big packages) are walked member by member so that each
 *    element of "releases" / "records" is parsed on its own.
 *  - Items are parsed by ocds_json_parse_fast, which gives the value
 *    jansson would and leaves anything unusual to jansson (duplicate keys
 *    rejected), and rejected when nested deeper than OCDS_IMPORT_MAX_DEPTH.
 *    When the fast parser takes an item, the item was valid UTF-8 and the
 *    parser counted its nesting, so the common case reads its bytes once;
 *    the UTF-8 check and json_depth run only on the items it declines.
 * Invariant: every byte range handed to jansson was delimited by
 * skip_value, which tracks strings and brackets with a bounded stack, so
 * malformed input never makes the scanner read outside data[0..len).
 * Cost: skip_value jumps from one '"' / bracket to the next and
 * skip_string from one '"' / '\\' to the next (sixteen bytes at a time
 * with SSE2); the first value is delimited once for both the layout
 * guess and the scan; JSON Lines count lines as they split them.
 */
#include "common.h"
#include "ocds_import.h"
#include "buf.h"
#include "enc.h"
#include "ocds_json.h"

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define SCAN_SSE2 1
#endif

#define DEFAULT_MAX_ITEM ((size_t)64 << 20)
#define SCAN_MAX_DEPTH (OCDS_IMPORT_MAX_DEPTH + 4) /* package -> records -> record -> releases */

struct scan {
    const char *file;
    const char *d;
    size_t n;
    size_t max_item;
    ocds_import_item_fn fn;
    void *arg;
    size_t line_off;     /* lines are counted up to here */
    uint64_t line;       /* line number at line_off */
    int stop;
    unsigned flags;      /* OCDS_SCAN_* */
    uint64_t string_tags, ignored_compiled;
    uint64_t latin1_items;   /* items with bytes read as ISO-8859-1 */
    /* the last top-level skip_value (looks_like_lines and scan_values
     * both delimit the first value: a big package is skipped once) */
    int top_set, top_rc;
    size_t top_i, top_end, top_at;
    const char *top_why;
};

/* ---- positions and emitting ------------------------------------------------- */

/* The number of '\n' in p[0..n): sixteen bytes at a time where SSE2 is
 * there (pretty-printed JSON has a newline every few dozen bytes, too
 * many for a memchr call each). */
static uint64_t count_nl(const char *p, size_t n)
{
    uint64_t c = 0;
    size_t k = 0;
#ifdef SCAN_SSE2
    const __m128i nl = _mm_set1_epi8('\n');
    for (; k + 16 <= n; k += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
        c += (uint64_t)__builtin_popcount((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)));
    }
#endif
    for (; k < n; k++)
        c += p[k] == '\n';
    return c;
}

static uint64_t line_at(struct scan *sc, size_t off)
{
    if (off < sc->line_off) {
        sc->line_off = 0;
        sc->line = 1;
    }
    sc->line += count_nl(sc->d + sc->line_off, off - sc->line_off);
    sc->line_off = off;
    return sc->line;
}

static void emit(struct scan *sc, struct ocds_import_item *it, size_t off)
{
    if (sc->stop)
        return;
    it->file = sc->file;
    it->byte = off;
    it->line = line_at(sc, off);
    if (!it->pointer)
        it->pointer = "";
    sc->stop = sc->fn(sc->arg, it);
}

static void reject(struct scan *sc, size_t off, const char *ptr, const char *fmt, ...) BF_PRINTF(4, 5);
static void reject(struct scan *sc, size_t off, const char *ptr, const char *fmt, ...)
{
    struct ocds_import_item it;
    char msg[640];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memset(&it, 0, sizeof it);
    it.kind = OCDS_ITEM_REJECT;
    it.pointer = ptr;
    it.reason = msg;
    emit(sc, &it, off);
}

static void note(struct scan *sc, size_t off, const char *ptr, const char *fmt, ...) BF_PRINTF(4, 5);
static void note(struct scan *sc, size_t off, const char *ptr, const char *fmt, ...)
{
    struct ocds_import_item it;
    char msg[640];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memset(&it, 0, sizeof it);
    it.kind = OCDS_ITEM_NOTE;
    it.pointer = ptr;
    it.reason = msg;
    emit(sc, &it, off);
}

/* ---- lexical skipping ---------------------------------------------------------- */

static size_t skip_ws(const char *d, size_t i, size_t n)
{
    while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
        i++;
    return i;
}

/* The first '"' or '\\' in d[j..n), or n (j <= n). */
static size_t quote_or_bslash(const char *d, size_t j, size_t n)
{
#ifdef SCAN_SSE2
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    for (; j + 16 <= n; j += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + j));
        unsigned bits = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));
        if (bits)
            return j + (size_t)__builtin_ctz(bits);
    }
#endif
    while (j < n && d[j] != '"' && d[j] != '\\')
        j++;
    return j;
}

/* Skips the string whose '"' is at d[*i]: a backslash takes the byte
 * after it along, so the string ends at the first '"' after an even run
 * of backslashes. Nothing else is checked (the parser does that). */
static int skip_string(const char *d, size_t *i, size_t n)
{
    size_t j = *i + 1;
    for (;;) {
        j = quote_or_bslash(d, j, n);
        if (j >= n)
            return -1;
        if (d[j] == '"') {
            *i = j + 1;
            return 0;
        }
        if (n - j <= 2)
            return -1; /* the backslash or the byte it takes is the last */
        j += 2;
    }
}

/* The first of '"', '{', '[', '}', ']' in d[i..n), or n (i <= n). */
static size_t next_structural(const char *d, size_t i, size_t n)
{
#ifdef SCAN_SSE2
    const __m128i quote = _mm_set1_epi8('"'), open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}'),
                  sopen = _mm_set1_epi8('['), sclose = _mm_set1_epi8(']');
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, open)),
                                 _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, close), _mm_cmpeq_epi8(v, sopen)),
                                              _mm_cmpeq_epi8(v, sclose)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
    }
#endif
    while (i < n && d[i] != '"' && d[i] != '{' && d[i] != '}' && d[i] != '[' && d[i] != ']')
        i++;
    return i;
}

/* Finds the end of the value starting at d[i]. On failure *why says why
 * and *at where. */
static int skip_value(const char *d, size_t n, size_t i, int maxdepth, size_t *end, const char **why, size_t *at)
{
    char stack[SCAN_MAX_DEPTH + 1];
    int depth = 0;

    if (i >= n) {
        *why = "missing value";
        *at = i;
        return -1;
    }
    if (d[i] != '{' && d[i] != '[' && d[i] != '"') {
        while (i < n && !strchr(",]} \t\r\n", d[i]))
            i++;
        *end = i;
        return 0;
    }
    while ((i = next_structural(d, i, n)) < n) { /* other bytes do not matter here */
        char ch = d[i];
        if (ch == '"') {
            size_t s = i;
            if (skip_string(d, &i, n) < 0) {
                *why = "unterminated string";
                *at = s;
                return -1;
            }
            if (depth == 0) {
                *end = i;
                return 0;
            }
            continue;
        }
        if (ch == '{' || ch == '[') {
            if (depth >= maxdepth || depth >= SCAN_MAX_DEPTH) {
                *why = "nesting deeper than 64 levels";
                *at = i;
                return -1;
            }
            stack[depth++] = ch == '{' ? '}' : ']';
        } else if (ch == '}' || ch == ']') {
            if (depth == 0 || stack[depth - 1] != ch) {
                *why = "mismatched bracket";
                *at = i;
                return -1;
            }
            if (--depth == 0) {
                *end = i + 1;
                return 0;
            }
        }
        i++;
    }
    *why = "unexpected end of input (unbalanced brackets)";
    *at = n;
    return -1;
}

/* skip_value of the top-level value at d[i] (to the end of the file),
 * computed once per position. */
static int skip_top(struct scan *sc, size_t i, size_t *end, const char **why, size_t *at)
{
    if (!sc->top_set || sc->top_i != i) {
        sc->top_set = 1;
        sc->top_i = i;
        sc->top_end = sc->top_at = 0;
        sc->top_why = NULL;
        sc->top_rc = skip_value(sc->d, sc->n, i, SCAN_MAX_DEPTH, &sc->top_end, &sc->top_why, &sc->top_at);
    }
    *end = sc->top_end;
    *why = sc->top_why;
    *at = sc->top_at;
    return sc->top_rc;
}

/* ---- encoding -------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..n), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len, k;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

/* Copies d with every byte that is not part of valid UTF-8 read as
 * ISO-8859-1. Returns the number of such bytes and the first offset. */
static char *latin1_fix(const char *d, size_t n, size_t *outlen, size_t *bad, size_t *first)
{
    char *o = bf_xmalloc(2 * n + 1);
    size_t i = 0, j = 0;
    *bad = 0;
    *first = 0;
    while (i < n) {
        size_t k = utf8_seq((const unsigned char *)d + i, n - i);
        if (k) {
            memcpy(o + j, d + i, k);
            i += k;
            j += k;
            continue;
        }
        if (!(*bad)++)
            *first = i;
        o[j++] = (char)(0xc0 | ((unsigned char)d[i] >> 6));
        o[j++] = (char)(0x80 | ((unsigned char)d[i] & 0x3f));
        i++;
    }
    o[j] = 0;
    *outlen = j;
    return o;
}

/* ---- items ---------------------------------------------------------------------- */

static int json_depth(const json_t *v, int limit)
{
    int best = 0, d;
    size_t i;
    const char *k;
    json_t *x;

    if (limit < 0)
        return 1;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x) {
            d = json_depth(x, limit - 1);
            if (d > best)
                best = d;
            if (best > limit)
                break;
        }
        return best + 1;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, x) {
            d = json_depth(x, limit - 1);
            if (d > best)
                best = d;
            if (best > limit)
                break;
        }
        return best + 1;
    }
    return 0;
}

static void put_release(struct scan *sc, json_t *rel, size_t off, const char *ptr)
{
    struct ocds_import_item it;
    json_t *tag;

    if (!json_is_object(rel)) {
        reject(sc, off, ptr, "a release must be a JSON object");
        return;
    }
    tag = json_object_get(rel, "tag");
    if (json_is_string(tag)) {
        json_t *arr = json_array();
        json_array_append(arr, tag);
        json_object_set_new(rel, "tag", arr);
        sc->string_tags++;
    }
    memset(&it, 0, sizeof it);
    it.kind = OCDS_ITEM_RELEASE;
    it.pointer = ptr;
    it.release = rel;
    emit(sc, &it, off);
}

static void put_record(struct scan *sc, json_t *rec, size_t off, const char *ptr)
{
    json_t *rels = json_object_get(rec, "releases"), *r;
    const char *ocid = json_string_value(json_object_get(rec, "ocid"));
    char sub[512];
    size_t i;

    if (!json_is_object(rec) || !json_is_array(rels)) {
        reject(sc, off, ptr, "a record must be an object with a \"releases\" array");
        return;
    }
    if (json_object_get(rec, "compiledRelease") || json_object_get(rec, "versionedRelease"))
        sc->ignored_compiled++;
    json_array_foreach(rels, i, r) {
        snprintf(sub, sizeof sub, "%s/releases/%zu", ptr, i);
        if (json_is_object(r) && !json_object_get(r, "id") && json_object_get(r, "url")) {
            struct ocds_import_item it;
            memset(&it, 0, sizeof it);
            it.kind = OCDS_ITEM_LINK;
            it.pointer = sub;
            it.ocid = ocid;
            it.date = json_string_value(json_object_get(r, "date"));
            it.url = json_string_value(json_object_get(r, "url"));
            it.tags = json_object_get(r, "tag");
            if (!ocid || !it.date || !it.url)
                reject(sc, off, sub, "linked release without ocid, date or url");
            else
                emit(sc, &it, off);
        } else {
            put_release(sc, r, off, sub);
        }
        if (sc->stop)
            return;
    }
}

/* A parsed top-level value or array element: package, record or release. */
static void dispatch(struct scan *sc, json_t *v, size_t off, const char *ptr)
{
    json_t *recs, *rels, *x;
    char sub[512];
    size_t i;

    if (!json_is_object(v)) {
        reject(sc, off, ptr, "expected a release, record or package object");
        return;
    }
    recs = json_object_get(v, "records");
    rels = json_object_get(v, "releases");
    if (json_is_array(recs) || (json_is_array(rels) && !json_object_get(v, "ocid"))) {
        if (!json_object_get(v, "version"))
            note(sc, off, ptr, "package without \"version\": read as OCDS 1.0, releases checked against 1.1");
        json_array_foreach(json_is_array(recs) ? recs : rels, i, x) {
            snprintf(sub, sizeof sub, "%s/%s/%zu", ptr, json_is_array(recs) ? "records" : "releases", i);
            if (json_is_array(recs))
                put_record(sc, x, off, sub);
            else
                put_release(sc, x, off, sub);
            if (sc->stop)
                return;
        }
        return;
    }
    if (json_is_array(rels) && !json_object_get(v, "tag"))
        put_record(sc, v, off, ptr);
    else
        put_release(sc, v, off, ptr);
}

static int walk_members(struct scan *sc, size_t s, size_t e);

/* The rejection of an item jansson could not parse; line and byte: where
 * the item starts (the scanner's items and raw lines word it alike). */
static void invalid_json(char *why, size_t cap, uint64_t line, uint64_t byte, const json_error_t *je)
{
    snprintf(why, cap, "invalid JSON at line %" PRIu64 ", byte %" PRIu64 ": %s",
             line + (uint64_t)(je->line > 0 ? je->line - 1 : 0), byte + (uint64_t)je->position, je->text);
}

/* 1, with why, if v nests deeper than the import's limit; nest is what
 * the fast parser counted, or < 0 when it did not parse v. */
static int too_deep(const json_t *v, int nest, char *why, size_t cap)
{
    if (nest < 0)
        nest = json_depth(v, OCDS_IMPORT_MAX_DEPTH + 1);
    if (nest <= OCDS_IMPORT_MAX_DEPTH)
        return 0;
    snprintf(why, cap, "nesting deeper than %d levels", OCDS_IMPORT_MAX_DEPTH);
    return 1;
}

/* Parses d[s..e) and dispatches it. kind: 0 any, 1 release, 2 record. */
static void parse_item(struct scan *sc, size_t s, size_t e, const char *ptr, int kind)
{
    json_error_t je;
    json_t *v;
    char why[640];
    int nest = -1; /* -1: not counted by the fast parser */

    if (e - s > sc->max_item) {
        reject(sc, s, ptr, "item of %zu bytes exceeds the limit of %zu bytes", e - s, sc->max_item);
        return;
    }
    /* a value from the fast parser means the item was valid UTF-8 and
     * comes with its nesting (ocds_json.h): one pass over its bytes */
    v = ocds_json_parse_fast_nest(sc->d + s, e - s, &nest);
    if (!v) {
        nest = -1;
        if (!bf_utf8_valid(sc->d + s, e - s)) {
            size_t bad, first, flen;
            char *fixed = latin1_fix(sc->d + s, e - s, &flen, &bad, &first);
            if (!sc->latin1_items++)
                note(sc, s + first, ptr,
                     "not valid UTF-8 (the first bad byte at %zu): bytes that are not UTF-8 are read as ISO-8859-1",
                     s + first);
            if (!(v = ocds_json_parse_fast(fixed, flen))) /* jansson decides what the fast path does not take */
                v = json_loadb(fixed, flen, JSON_REJECT_DUPLICATES, &je);
            free(fixed);
        } else {
            v = json_loadb(sc->d + s, e - s, JSON_REJECT_DUPLICATES, &je);
        }
    }
    /* a broken package: keep its good releases, reject the bad ones */
    if (!v && kind == 0 && !*ptr && sc->d[s] == '{' && walk_members(sc, s, e))
        return;
    if (!v) {
        invalid_json(why, sizeof why, line_at(sc, s), s, &je);
        reject(sc, s, ptr, "%s", why);
        return;
    }
    if (too_deep(v, nest, why, sizeof why))
        reject(sc, s, ptr, "%s", why);
    else if (kind == 1)
        put_release(sc, v, s, ptr);
    else if (kind == 2)
        put_record(sc, v, s, ptr);
    else
        dispatch(sc, v, s, ptr);
    json_decref(v);
}

/* Elements of the array starting at d[s], within d[..e). Returns the
 * offset after its ']', or 0 if it is broken (reported). */
static size_t walk_array(struct scan *sc, size_t s, size_t e, const char *ptr, int kind)
{
    size_t i = skip_ws(sc->d, s + 1, e), vend, at;
    const char *why;
    char sub[512];
    size_t k = 0;

    if (i < e && sc->d[i] == ']')
        return i + 1;
    while (i < e && !sc->stop) {
        snprintf(sub, sizeof sub, "%s/%zu", ptr, k++);
        if (skip_value(sc->d, e, i, SCAN_MAX_DEPTH, &vend, &why, &at) < 0) {
            reject(sc, at, sub, "%s; rest of the array not read", why);
            return 0;
        }
        parse_item(sc, i, vend, sub, kind);
        i = skip_ws(sc->d, vend, e);
        if (i < e && sc->d[i] == ',') {
            i = skip_ws(sc->d, i + 1, e);
            continue;
        }
        if (i < e && sc->d[i] == ']')
            return i + 1;
        reject(sc, i, ptr, "expected ',' or ']' in array; rest of the array not read");
        return 0;
    }
    return 0;
}

/* Walks the members of the top-level object d[s..e): the elements of its
 * "releases" and "records" arrays are parsed one by one. Returns 0 if it
 * has no such array (nothing was emitted). */
static int walk_members(struct scan *sc, size_t s, size_t e)
{
    size_t i = skip_ws(sc->d, s + 1, e), kend, vs, ve, at;
    const char *why;
    int found = 0;

    while (i < e && sc->d[i] == '"' && !sc->stop) {
        size_t ks = i;
        if (skip_string(sc->d, &i, e) < 0)
            break;
        kend = i;
        i = skip_ws(sc->d, i, e);
        if (i >= e || sc->d[i] != ':')
            break;
        vs = skip_ws(sc->d, i + 1, e);
        if (vs < e && sc->d[vs] == '[' && kend - ks == 10 && !memcmp(sc->d + ks, "\"releases\"", 10)) {
            found = 1;
            if (!(ve = walk_array(sc, vs, e, "/releases", 1)))
                return found;
        } else if (vs < e && sc->d[vs] == '[' && kend - ks == 9 && !memcmp(sc->d + ks, "\"records\"", 9)) {
            found = 1;
            if (!(ve = walk_array(sc, vs, e, "/records", 2)))
                return found;
        } else if (skip_value(sc->d, e, vs, SCAN_MAX_DEPTH, &ve, &why, &at) < 0) {
            if (found)
                reject(sc, at, "", "%s; rest of the file not read", why);
            return found;
        }
        i = skip_ws(sc->d, ve, e);
        if (i < e && sc->d[i] == ',')
            i = skip_ws(sc->d, i + 1, e);
        else
            break;
    }
    return found;
}

/* A top-level object too large to parse whole. */
static void walk_big_object(struct scan *sc, size_t s, size_t e)
{
    if (!walk_members(sc, s, e))
        reject(sc, s, "", "object of %zu bytes exceeds the item limit of %zu bytes and has no \"releases\" or "
               "\"records\" array", e - s, sc->max_item);
}

static void top_value(struct scan *sc, size_t s, size_t e)
{
    if (sc->d[s] == '[')
        (void)walk_array(sc, s, e, "", 0);
    else if (sc->d[s] == '{' && e - s > sc->max_item)
        walk_big_object(sc, s, e);
    else
        parse_item(sc, s, e, "", 0);
}

/* ---- lines parsed elsewhere ------------------------------------------------------ */

/* 1 if the key-or-string starting after the '"' at d[q] is "word" and
 * ends there. */
static int word_at(const char *d, size_t q, size_t e, const char *word, size_t wl)
{
    return q + 1 + wl < e && d[q + 1 + wl] == '"' && !memcmp(d + q + 1, word, wl);
}

/* A "tag" at d[q] not followed by an array. */
static int tag_not_array(const char *d, size_t q, size_t e)
{
    size_t i;
    if (!word_at(d, q, e, "tag", 3))
        return 0;
    i = skip_ws(d, q + 5, e);
    if (i < e && d[i] == ':')
        i = skip_ws(d, i + 1, e);
    return i >= e || d[i] != '[';
}

/* What looking at a '"' at d[q] says: 1 the line must be parsed here. */
static int quote_says_parse(const char *d, size_t q, size_t e)
{
    switch (q + 1 < e ? d[q + 1] : 0) {
    case 'r': return word_at(d, q, e, "releases", 8) || word_at(d, q, e, "records", 7);
    case 'c': return word_at(d, q, e, "compiled", 8);
    case 't': return tag_not_array(d, q, e);
    default: return 0;
    }
}

/* 1 if the line d[s..e) can only parse to a release put as it is or to
 * a rejection, so it may go out unparsed (OCDS_SCAN_RAW): an object, no
 * backslash (an escape could spell any word), none of the words that
 * make it a package, a record or a compiled release, any "tag" an array
 * (a string tag is converted and counted here), valid UTF-8 (else its
 * bytes are read as ISO-8859-1 here, with a note). One pass, sixteen
 * bytes at a time where SSE2 is there. */
static int raw_eligible(const char *d, size_t s, size_t e)
{
    size_t i = s;
    int high = 0;

    if (d[s] != '{')
        return 0;
#ifdef SCAN_SSE2
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    for (; i + 16 <= e; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
        unsigned q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, bslash)))
            return 0;
        high |= _mm_movemask_epi8(v);
        for (; q; q &= q - 1)
            if (quote_says_parse(d, i + (size_t)__builtin_ctz(q), e))
                return 0;
    }
#endif
    for (; i < e; i++) {
        if (d[i] == '\\' || (d[i] == '"' && quote_says_parse(d, i, e)))
            return 0;
        high |= (unsigned char)d[i] >= 0x80;
    }
    return !high || bf_utf8_valid(d + s, e - s);
}

int ocds_import_parse_raw_jv(struct bf_arena *a, const char *raw, size_t len, const jv_t **tree)
{
    int nest = -1;
    const jv_t *v = ocds_json_parse_jv(a, raw, len, &nest);

    if (!v || v->type != JSON_OBJECT || nest > OCDS_IMPORT_MAX_DEPTH)
        return 0;
    *tree = v;
    return 1;
}

int ocds_import_parse_raw(const char *raw, size_t len, uint64_t line, uint64_t byte, json_t **release, char *why,
                          size_t whycap)
{
    json_error_t je;
    int nest = -1;
    json_t *v = ocds_json_parse_fast_nest(raw, len, &nest);

    *release = NULL;
    if (!v) { /* valid UTF-8 (raw_eligible): jansson decides, as parse_item does */
        nest = -1;
        v = json_loadb(raw, len, JSON_REJECT_DUPLICATES, &je);
    }
    if (!v) {
        invalid_json(why, whycap, line, byte, &je);
        return 1;
    }
    if (!json_is_object(v)) /* raw_eligible saw a '{', but put_release's rule holds here too */
        snprintf(why, whycap, "a release must be a JSON object");
    if (!json_is_object(v) || too_deep(v, nest, why, whycap)) {
        json_decref(v);
        return 1;
    }
    *release = v;
    return 0;
}

/* ---- layouts --------------------------------------------------------------------- */

static void scan_lines(struct scan *sc, size_t i)
{
    uint64_t ln = line_at(sc, i);

    while (i < sc->n && !sc->stop) {
        const char *nl = memchr(sc->d + i, '\n', sc->n - i);
        size_t e = nl ? (size_t)(nl - sc->d) : sc->n, s = skip_ws(sc->d, i, e), t = e;
        while (t > s && (sc->d[t - 1] == ' ' || sc->d[t - 1] == '\t' || sc->d[t - 1] == '\r'))
            t--;
        if (t > s) {
            /* d[i] starts line ln: line_at need not count the lines before */
            sc->line_off = i;
            sc->line = ln;
            if ((sc->flags & OCDS_SCAN_RAW) && t - s <= sc->max_item && raw_eligible(sc->d, s, t)) {
                struct ocds_import_item it;
                memset(&it, 0, sizeof it);
                it.kind = OCDS_ITEM_RAW;
                it.raw = sc->d + s;
                it.raw_len = t - s;
                emit(sc, &it, s);
            } else {
                parse_item(sc, s, t, "", 0);
            }
        }
        i = e + 1;
        ln++;
    }
}

static void scan_values(struct scan *sc, size_t i)
{
    size_t e, at;
    const char *why;

    while ((i = skip_ws(sc->d, i, sc->n)) < sc->n && !sc->stop) {
        if (skip_top(sc, i, &e, &why, &at) < 0) {
            /* a package broken after some good releases keeps those */
            if (sc->d[i] != '{' || !walk_members(sc, i, sc->n))
                reject(sc, at, "", "malformed JSON: %s; rest of the file not read", why);
            return;
        }
        if (e == i) {
            reject(sc, i, "", "malformed JSON: unexpected character '%c'; rest of the file not read", sc->d[i]);
            return;
        }
        top_value(sc, i, e);
        i = e;
    }
}

/* 1 if the first value fits on its first line and another value follows. */
static int looks_like_lines(struct scan *sc, size_t i)
{
    const char *d = sc->d, *why;
    size_t n = sc->n, e, at, j;
    if (skip_top(sc, i, &e, &why, &at) < 0)
        return memchr(d + i, '\n', n - i) != NULL && d[i] == '{';
    if (memchr(d + i, '\n', e - i))
        return 0;
    for (j = e; j < n && d[j] != '\n'; j++)
        if (!strchr(" \t\r", d[j]))
            return 0;
    return skip_ws(d, e, n) < n;
}

int ocds_import_scan(const char *file, const char *data, size_t len, size_t max_item, ocds_import_item_fn fn,
                     void *arg)
{
    return ocds_import_scan_flags(file, data, len, max_item, 0, fn, arg);
}

int ocds_import_scan_flags(const char *file, const char *data, size_t len, size_t max_item, unsigned flags,
                           ocds_import_item_fn fn, void *arg)
{
    struct scan sc;
    size_t i = 0;

    memset(&sc, 0, sizeof sc);
    sc.flags = flags;
    sc.file = file;
    sc.d = data;
    sc.n = len;
    sc.max_item = max_item ? max_item : DEFAULT_MAX_ITEM;
    sc.fn = fn;
    sc.arg = arg;
    sc.line = 1;
    if (len >= 2 && (((unsigned char)data[0] == 0xff && (unsigned char)data[1] == 0xfe) ||
                     ((unsigned char)data[0] == 0xfe && (unsigned char)data[1] == 0xff) ||
                     (len >= 4 && !data[0] && !data[1]) || (len >= 2 && data[0] && !data[1]))) {
        reject(&sc, 0, "", "UTF-16 or UTF-32 text is not supported; convert the file to UTF-8");
        return sc.stop;
    }
    if (sc.n >= 3 && !memcmp(sc.d, "\xef\xbb\xbf", 3))
        i = 3;
    i = skip_ws(sc.d, i, sc.n);
    if (i >= sc.n)
        reject(&sc, 0, "", len ? "no JSON value in the file (only whitespace)" : "empty file (0 bytes)");
    else if (sc.d[i] == '{' && looks_like_lines(&sc, i))
        scan_lines(&sc, i);
    else
        scan_values(&sc, i);
    if (sc.string_tags)
        note(&sc, sc.n, "", "%" PRIu64 " release(s) had a string \"tag\": converted to a one-element array",
             sc.string_tags);
    if (sc.latin1_items > 1)
        note(&sc, sc.n, "", "%" PRIu64 " items in all had bytes read as ISO-8859-1", sc.latin1_items);
    if (sc.ignored_compiled)
        note(&sc, sc.n, "", "%" PRIu64 " record(s) carried compiledRelease/versionedRelease: not imported, "
                            "Belfry recomputes them from the releases", sc.ignored_compiled);
    return sc.stop;
}
