/*
 * test_ocds_jv.c - the jv builds of the OCDS core (ocds_jv_compat.h)
 * against their jansson builds, which every other test holds to the
 * standard: on generated defence releases (contact points, withheld
 * fields, amendments) and on those releases damaged at random (a member
 * dropped, a value of another kind put in its place), the check, the
 * preparation for the log (texts, digests, entry line, tags, sidecar)
 * and the record merges (compiled, versioned, packed) must give the same
 * result and the same error message, byte for byte; and the jv parser
 * must read every release as the fast jansson parser does, and every
 * real publisher's file in ../shared/data/ocds/real too.
 */
#include "common.h"
#include "buf.h"
#include "fs.h"
#include "jv.h"
#include "ocds/ocds.h"
#include "ocds/ocds_demo.h"
#include "ocds/ocds_import.h"
#include "ocds/ocds_json.h"
#include "ocds/ocds_jv.h"
#include "tap.h"

#include <dirent.h>

struct tally {
    size_t n, bad, errs; /* comparisons, mismatches, agreed errors */
    char first[1024];
};

static void mismatch(struct tally *t, const char *what, const char *detail)
{
    if (!t->bad++)
        snprintf(t->first, sizeof t->first, "%s: %s", what, detail);
}

static int same_buf(const struct bf_buf *a, const struct bf_buf *b)
{
    return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* ---- random damage ------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next_rand(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* A random node of v's tree (each visited one replaces the pick with
 * probability 1/seen): its parent and key or index. */
struct pick {
    json_t *parent;
    const char *key;
    size_t index;
    size_t seen;
};

static void pick_walk(json_t *v, struct pick *p)
{
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_object(v)) {
        json_object_foreach(v, k, x) {
            if (next_rand() % ++p->seen == 0)
                p->parent = v, p->key = k;
            pick_walk(x, p);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) {
            if (next_rand() % ++p->seen == 0)
                p->parent = v, p->key = NULL, p->index = i;
            pick_walk(x, p);
        }
    }
}

static json_t *odd_value(void)
{
    switch (next_rand() % 9) {
    case 0: return json_null();
    case 1: return json_integer(0);
    case 2: return json_real(1.5);
    case 3: return json_string("");
    case 4: return json_string("x");
    case 5: return json_array();
    case 6: return json_object();
    case 7: return json_true();
    default: return json_pack("{s:s}", "id", "1");
    }
}

/* A damaged deep copy of r. */
static json_t *damaged(const json_t *r)
{
    json_t *c = json_deep_copy(r);
    struct pick p = { NULL, NULL, 0, 0 };

    pick_walk(c, &p);
    if (!p.parent)
        return c;
    if (p.key && next_rand() % 3 == 0)
        json_object_del(p.parent, p.key);
    else if (p.key)
        json_object_set_new(p.parent, p.key, odd_value());
    else
        json_array_set_new(p.parent, p.index, odd_value());
    return c;
}

/* ---- the comparisons ---------------------------------------------------- */

static const uint8_t KEY[OCDS_WITHHELD_KEY_LEN] = { 7, 1, 2, 3 };

static void cmp_check(struct tally *t, const json_t *r, const jv_t *v)
{
    struct bf_err e1 = { 0 }, e2 = { 0 };
    int a = ocds_release_check(r, &e1), b = ocds_release_check_jv(v, &e2);

    t->n++;
    if (a != b || strcmp(e1.msg, e2.msg))
        mismatch(t, "check", e1.msg[0] ? e1.msg : e2.msg);
    else if (a)
        t->errs++;
}

static struct bf_arena trees = BF_ARENA_INIT; /* the jv public releases, as publishing keeps them */
static size_t jv_withheld; /* releases ocds_prepare_jv withheld on jv trees (not through jansson) */

static void cmp_prepare(struct tally *t, const json_t *r, const jv_t *v)
{
    struct ocds_prepared x, y;
    struct bf_err e1 = { 0 }, e2 = { 0 };
    int a = ocds_prepare(r, KEY, "officer-7", &x, &e1), b = ocds_prepare_jv(v, &trees, KEY, "officer-7", &y, &e2);

    t->n++;
    if (a != b || strcmp(e1.msg, e2.msg)) {
        mismatch(t, "prepare", e1.msg[0] ? e1.msg : e2.msg);
    } else if (a) {
        t->errs++;
    } else if ((jv_withheld += (y.tree && y.sidecar)), !same_buf(&x.body, &y.body) || !same_buf(&x.entry, &y.entry) || strcmp(x.sha, y.sha) ||
               strcmp(x.src, y.src) || !same_str(x.tags, y.tags) || !same_str(x.ocid, y.ocid) ||
               !same_str(x.id, y.id) || !same_str(x.date, y.date) || x.sidecar_len != y.sidecar_len ||
               (x.sidecar_len && memcmp(x.sidecar, y.sidecar, x.sidecar_len))) {
        mismatch(t, "prepare", x.id ? x.id : "a release");
    }
    ocds_prepared_clear(&x);
    ocds_prepared_clear(&y);
}

static void cmp_merge(struct tally *t, json_t **rels, size_t n, struct bf_arena *a)
{
    jv_t **v = bf_xcalloc(n ? n : 1, sizeof *v);
    struct bf_buf c1 = BF_BUF_INIT, v1 = BF_BUF_INIT, c2 = BF_BUF_INIT, v2 = BF_BUF_INIT;
    struct bf_err e1 = { 0 }, e2 = { 0 };
    size_t i;
    int x, y, pk;

    for (i = 0; i < n; i++)
        v[i] = jv_from_json(a, rels[i], 1000);
    /* both texts; the compiled one alone (publishing); the versioned one
     * alone (the record API) */
    for (pk = 0; pk < 3; pk++) {
        static const char *const what[] = { "merge", "merge (compiled)", "merge (versioned)" };
        struct bf_buf *wc1 = pk == 2 ? NULL : &c1, *wv1 = pk == 1 ? NULL : &v1;
        struct bf_buf *wc2 = pk == 2 ? NULL : &c2, *wv2 = pk == 1 ? NULL : &v2;
        bf_buf_reset(&c1), bf_buf_reset(&v1), bf_buf_reset(&c2), bf_buf_reset(&v2);
        memset(&e1, 0, sizeof e1), memset(&e2, 0, sizeof e2);
        x = ocds_merge_texts(NULL, rels, n, wc1, wv1, &e1);
        y = ocds_merge_texts_jv(NULL, v, n, wc2, wv2, &e2);
        t->n++;
        if (x != y || strcmp(e1.msg, e2.msg))
            mismatch(t, what[pk], e1.msg[0] ? e1.msg : e2.msg);
        else if (x)
            t->errs++;
        else if (!same_buf(&c1, &c2) || !same_buf(&v1, &v2))
            mismatch(t, what[pk], "texts differ");
    }
    bf_buf_free(&c1), bf_buf_free(&v1), bf_buf_free(&c2), bf_buf_free(&v2);
    free(v);
}

/* The records publishing writes: the public releases as each path
 * prepares them (jansson: x.pub; jv: y.tree, or its jansson fallback's
 * pub copied), merged by the jansson and the jv merge. */
static void cmp_published(struct tally *t, json_t **rels, size_t n, struct bf_arena *a)
{
    json_t **pubs = bf_xcalloc(n, sizeof *pubs);
    jv_t **trees_of = bf_xcalloc(n, sizeof *trees_of);
    struct bf_buf c1 = BF_BUF_INIT, v1 = BF_BUF_INIT, c2 = BF_BUF_INIT, v2 = BF_BUF_INIT;
    struct bf_err e1 = { 0 }, e2 = { 0 };
    size_t i, k = 0;
    int x, y;

    for (i = 0; i < n; i++) {
        struct ocds_prepared px, py;
        struct bf_err ea = { 0 }, eb = { 0 };
        jv_t *v = jv_from_json(a, rels[i], 1000);
        if (ocds_prepare(rels[i], KEY, NULL, &px, &ea) == 0 && ocds_prepare_jv(v, a, KEY, NULL, &py, &eb) == 0) {
            pubs[k] = json_incref(px.pub);
            trees_of[k++] = py.tree ? (jv_t *)py.tree : jv_from_json(a, py.pub, 1000);
        }
        ocds_prepared_clear(&px);
        ocds_prepared_clear(&py);
    }
    x = ocds_merge_texts(NULL, pubs, k, &c1, &v1, &e1);
    y = ocds_merge_texts_jv(NULL, trees_of, k, &c2, &v2, &e2);
    t->n++;
    if (x != y || strcmp(e1.msg, e2.msg))
        mismatch(t, "published merge", e1.msg[0] ? e1.msg : e2.msg);
    else if (x)
        t->errs++;
    else if (!same_buf(&c1, &c2) || !same_buf(&v1, &v2))
        mismatch(t, "published merge", "texts differ");
    for (i = 0; i < k; i++)
        json_decref(pubs[i]);
    free(pubs);
    free(trees_of);
    bf_buf_free(&c1), bf_buf_free(&v1), bf_buf_free(&c2), bf_buf_free(&v2);
}

/* jv parse of r's compact text against the fast parser's. */
static void cmp_parse(struct tally *t, const char *text, size_t len, struct bf_arena *a)
{
    int n1 = -1, n2 = -1;
    json_t *f = ocds_json_parse_fast_nest(text, len, &n1);
    const jv_t *v = ocds_json_parse_jv(a, text, len, &n2);
    json_t *back = v ? jv_to_json(v, 1000) : NULL;

    t->n++;
    if (!f != !v || (f && (!json_equal(f, back) || n1 != n2)))
        mismatch(t, "parse", text);
    json_decref(f);
    json_decref(back);
}

/* ---- generated releases ------------------------------------------------- */

struct gen {
    json_t **r;
    size_t n, cap;
};

static int collect(void *arg, json_t *release)
{
    struct gen *g = arg;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 256;
        g->r = bf_xrealloc(g->r, g->cap * sizeof *g->r);
    }
    g->r[g->n++] = json_incref(release);
    return 0;
}

static void report(const char *what, const struct tally *t)
{
    ok(t->bad == 0 && t->n > 0, "%s: %zu comparisons, %zu agreed errors, %zu mismatches%s%s", what, t->n, t->errs,
       t->bad, t->bad ? "; first: " : "", t->bad ? t->first : "");
}

static void generated(void)
{
    struct gen g = { NULL, 0, 0 };
    struct tally tc = { 0 }, tp = { 0 }, tm = { 0 }, tr = { 0 }, dc = { 0 }, dp = { 0 }, dm = { 0 }, tpm = { 0 };
    struct bf_arena a = BF_ARENA_INIT;
    size_t i, j, withheld = 0;

    ocds_demo_generate(3, 3000, collect, &g);
    for (i = 0; i < g.n; i++) {
        char *text = json_dumps(g.r[i], JSON_COMPACT);
        jv_t *v = jv_from_json(&a, g.r[i], 1000);
        if (json_object_get(g.r[i], "withheld"))
            withheld++;
        cmp_parse(&tr, text, strlen(text), &a);
        cmp_check(&tc, g.r[i], v);
        cmp_prepare(&tp, g.r[i], v);
        free(text);
    }
    ok(jv_withheld == withheld, "each of the %zu withholding releases took the jv way (%zu)", withheld, jv_withheld);
    /* each ocid's releases merged, as published; and damaged */
    for (i = 0; i < g.n; i = j) {
        const char *ocid = json_string_value(json_object_get(g.r[i], "ocid"));
        json_t **d;
        for (j = i + 1; j < g.n && !strcmp(ocid, json_string_value(json_object_get(g.r[j], "ocid"))); j++)
            ;
        cmp_merge(&tm, g.r + i, j - i, &a);
        cmp_published(&tpm, g.r + i, j - i, &a);
        d = bf_xcalloc(j - i, sizeof *d);
        for (size_t k = 0; k < j - i; k++)
            d[k] = next_rand() % 2 ? damaged(g.r[i + k]) : json_incref(g.r[i + k]);
        cmp_merge(&dm, d, j - i, &a);
        for (size_t k = 0; k < j - i; k++)
            json_decref(d[k]);
        free(d);
        bf_arena_reset(&a);
    }
    for (i = 0; i < 4000; i++) {
        json_t *d = damaged(g.r[next_rand() % g.n]);
        jv_t *v = jv_from_json(&a, d, 1000);
        cmp_check(&dc, d, v);
        cmp_prepare(&dp, d, v);
        json_decref(d);
        if (i % 256 == 0)
            bf_arena_reset(&a);
    }
    ok(withheld > 0, "the generated releases include %zu with withheld fields", withheld);
    report("parse, generated releases", &tr);
    report("check, generated releases", &tc);
    report("prepare, generated releases", &tp);
    report("merge, generated records", &tm);
    report("merge, generated records as published (markers in place of withheld values)", &tpm);
    report("check, damaged releases", &dc);
    ok(dc.errs > 1000, "the damage made %zu releases invalid", dc.errs);
    report("prepare, damaged releases", &dp);
    report("merge, damaged records", &dm);
    for (i = 0; i < g.n; i++)
        json_decref(g.r[i]);
    free(g.r);
    bf_arena_free(&a);
    bf_arena_free(&trees);
}

/* ---- real publishers' files ------------------------------------------- */

static void real_files(void)
{
    const char *dir = tap_shared("ocds/real");
    struct tally t = { 0 };
    struct bf_arena a = BF_ARENA_INIT;
    struct dirent *e;
    DIR *d;

    if (!dir || !(d = opendir(dir))) {
        skip("no ../shared/data/ocds/real");
        return;
    }
    while ((e = readdir(d))) {
        char path[4096];
        char *data = NULL;
        size_t len = 0;
        struct bf_err err = { 0 };
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (bf_fs_read(path, (size_t)1 << 30, &data, &len, &err) < 0)
            continue;
        cmp_parse(&t, data, len, &a);
        { /* and line by line (JSON Lines files) */
            size_t s = 0;
            while (s < len) {
                const char *nl = memchr(data + s, '\n', len - s);
                size_t end = nl ? (size_t)(nl - data) : len;
                if (end > s)
                    cmp_parse(&t, data + s, end - s, &a);
                s = end + 1;
            }
        }
        free(data);
        bf_arena_reset(&a);
    }
    closedir(d);
    bf_arena_free(&a);
    report("parse, real publishers' files and lines", &t);
}

/* ---- the parser's edges ------------------------------------------------- */

static void edges(void)
{
    static const char *const cases[] = {
        "{}", "[]", "{\"a\":1}", "{\"a\":\"\\u00e9\\n\\\"x\"}", "{\"\\u0041\":[1,2.5,-0,1e3,true,false,null]}",
        "{\"a\":1,\"a\":2}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\xff\"}", "{\"a\":01}", "{\"a\":1} x", " [1] ",
        "{\"a\":12345678901234567890}", "{\"a\":1e400}", "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\ud83d\"}",
        "{\"a\" : [ 1 , { \"b\" : \"c\" } ] }", "\"s\"", "1", "{\"a\":[", "{\"a\":\"\t\"}",
    };
    struct tally t = { 0 };
    struct bf_arena a = BF_ARENA_INIT;
    char wide[2048], deep[401];
    size_t i, w = 0;
    int nest;

    for (i = 0; i < sizeof cases / sizeof *cases; i++)
        cmp_parse(&t, cases[i], strlen(cases[i]), &a);
    report("parse, edge cases", &t);
    /* wider than 64 members: left to jansson */
    wide[w++] = '{';
    for (i = 0; i < 65; i++)
        w += (size_t)snprintf(wide + w, sizeof wide - w, "%s\"k%zu\":%zu", i ? "," : "", i, i);
    wide[w++] = '}';
    {
        json_t *f = ocds_json_parse_fast(wide, w);
        ok(!ocds_json_parse_jv(&a, wide, w, &nest) && f, "an object of 65 members goes to jansson");
        json_decref(f);
    }
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    ok(!ocds_json_parse_jv(&a, deep, 400, &nest), "200 levels of nesting go to jansson");
    bf_arena_free(&a);
}

/* Trees deeper than the check allows: the jv path hands them to jansson
 * (copying them there must not fail first) and says what jansson says. */
static void deep(void)
{
    struct tally t = { 0 };
    struct bf_arena a = BF_ARENA_INIT;
    json_t *rels[1], *r = json_pack("{s:s,s:s,s:s,s:[s],s:s}", "ocid", "ocds-x-1", "id", "1", "date",
                                    "2024-01-01T00:00:00Z", "tag", "planning", "initiationType", "tender");
    json_t *inner = json_array(), *arr = json_array();
    int i;

    for (i = 0; i < 200; i++) {
        json_t *o = json_array();
        json_array_append_new(o, inner);
        inner = o;
    }
    json_object_set_new(r, "deep", json_incref(inner));
    cmp_check(&t, r, jv_from_json(&a, r, JV_COPY_MAX_DEPTH));
    cmp_prepare(&t, r, jv_from_json(&a, r, JV_COPY_MAX_DEPTH));
    rels[0] = r;
    cmp_merge(&t, rels, 1, &a);
    json_array_append_new(arr, inner); /* a "release" that is 200 arrays deep */
    rels[0] = arr;
    cmp_merge(&t, rels, 1, &a);
    report("check, prepare and merge of trees 200 levels deep", &t);
    ok(t.errs == t.n, "each of them an error (%zu of %zu)", t.errs, t.n);
    json_decref(r);
    json_decref(arr);
    bf_arena_free(&a);
}

int main(void)
{
    edges();
    deep();
    generated();
    real_files();
    return tap_done();
}
