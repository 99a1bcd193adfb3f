/*
 * test_ocds_merge_text.c - ocds_merge_texts (the merge written straight to
 * JCS text) against its definition, ocds_jcs of the tree merges
 * (ocds_merge_compiled_with / ocds_merge_versioned_with), byte for byte,
 * both outputs, and each output alone: on every ocds-merge fixture (with
 * the rules each is meant for, plus the built-in table, the 1.0 rules,
 * the schema rules and the upstream override rules), on every real
 * release in ../shared/data/ocds/real grouped by ocid, on generated
 * defence records as published (personal data and withheld fields turned
 * into markers, then disclosed), and on those records mutated at random
 * (markers, nulls, kind changes, ids, empties), which is where the merge's
 * corner cases (leaves grown into containers, versions lists taking array
 * items ...) show. Where the tree merges fail, ocds_merge_texts must fail
 * with their code and message, and the direct writer with their code.
 */
#include "common.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "ocds/ocds_demo.h"
#include "ocds/ocds_merge_int.h"
#include "tap.h"

#include <dirent.h>
#include <sys/stat.h>

struct tally {
    size_t n, bad, failed_ok; /* comparisons, mismatches, agreed errors */
    char first[1024];
};

static void mismatch(struct tally *t, const char *label, const char *what)
{
    if (!t->bad++)
        snprintf(t->first, sizeof t->first, "%s: %s", label, what);
}

static int same(const struct bf_buf *a, const struct bf_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* The definition: JCS of the tree merges (compiled first, as the
 * publishing path used to run them). */
static int by_trees(const struct ocds_merge_rules *r, json_t **rels, size_t n, struct bf_buf *c, struct bf_buf *v,
                    struct bf_err *err)
{
    json_t *tc = NULL, *tv = NULL;
    int rc = 0;
    if (c)
        rc = ocds_merge_compiled_with(r, rels, n, &tc, err);
    if (!rc && v)
        rc = ocds_merge_versioned_with(r, rels, n, &tv, err);
    if (!rc && c)
        rc = ocds_jcs(tc, c, err);
    if (!rc && v)
        rc = ocds_jcs(tv, v, err);
    json_decref(tc), json_decref(tv);
    return rc;
}

/* One output selection (c and/or v wanted) compared three ways. */
static void compare_sel(struct tally *t, const struct ocds_merge_rules *r, json_t **rels, size_t n, int wc, int wv,
                        const char *label)
{
    struct bf_buf sc = BF_BUF_INIT, sv = BF_BUF_INIT, dc = BF_BUF_INIT, dv = BF_BUF_INIT;
    struct bf_buf pc = BF_BUF_INIT, pv = BF_BUF_INIT;
    struct bf_err es = {0}, ed = {0}, ep = {0};
    int rs = by_trees(r, rels, n, wc ? &sc : NULL, wv ? &sv : NULL, &es);
    int rd = ocds_merge_texts_direct(r, rels, n, wc ? &dc : NULL, wv ? &dv : NULL, &ed);
    int rp;

    if (bf_buf_putc(&pc, 'x') < 0 || bf_buf_putc(&pv, 'y') < 0) /* it appends, keeping what was there */
        abort();
    rp = ocds_merge_texts(r, rels, n, wc ? &pc : NULL, wv ? &pv : NULL, &ep);
    t->n++;
    if (rs == 0) {
        if (rd != 0)
            mismatch(t, label, ed.msg);
        else if ((wc && !same(&sc, &dc)) || (wv && !same(&sv, &dv)))
            mismatch(t, label, wc && !same(&sc, &dc) ? "compiled text differs" : "versioned text differs");
        else if (rp != 0 || (wc && (pc.len != sc.len + 1 || memcmp(pc.data + 1, sc.data, sc.len))) ||
                 (wv && (pv.len != sv.len + 1 || memcmp(pv.data + 1, sv.data, sv.len))))
            mismatch(t, label, "ocds_merge_texts differs from the direct writer");
    } else {
        if (rd != rs)
            mismatch(t, label, rd ? "direct writer fails with another code" : "direct writer succeeds where the trees fail");
        else if (rp != rs || strcmp(ep.msg, es.msg) || pc.len != 1 || pv.len != 1)
            mismatch(t, label, "ocds_merge_texts error differs (or buffers changed)");
        else
            t->failed_ok++;
    }
    if (t->bad == 1 && t->first[0] && rs == 0 && rd == 0 && getenv("MERGE_TEXT_DUMP")) {
        fprintf(stderr, "trees  C %s\n       V %s\ndirect C %s\n       V %s\n", sc.data, sv.data, dc.data, dv.data);
    }
    bf_buf_free(&sc), bf_buf_free(&sv), bf_buf_free(&dc), bf_buf_free(&dv), bf_buf_free(&pc), bf_buf_free(&pv);
}

static void compare(struct tally *t, const struct ocds_merge_rules *r, json_t **rels, size_t n, const char *label)
{
    compare_sel(t, r, rels, n, 1, 1, label);
    compare_sel(t, r, rels, n, 1, 0, label);
    compare_sel(t, r, rels, n, 0, 1, label);
}

static void report(const struct tally *t, const char *what)
{
    ok(t->n > 0 && t->bad == 0, "%s: %zu comparisons byte-identical (%zu agreed errors)%s%s", what, t->n,
       t->failed_ok, t->bad ? "; first mismatch " : "", t->bad ? t->first : "");
    if (t->bad)
        diag("%zu mismatches", t->bad);
}

static void compare_array(struct tally *t, const struct ocds_merge_rules *r, const json_t *arr, const char *label)
{
    size_t n = json_array_size(arr), i;
    json_t **rels = bf_xcalloc(n ? n : 1, sizeof *rels);
    for (i = 0; i < n; i++)
        rels[i] = json_array_get(arr, i);
    compare(t, r, rels, n, label);
    free(rels);
}

/* ---- the ocds-merge fixtures ------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void fixtures_dir(struct tally *t, const char *dir, const struct ocds_merge_rules *const *rules, size_t nrules)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    while (d && (de = readdir(d))) {
        char path[4096];
        json_t *in;
        size_t k;
        if (!ends_with(de->d_name, ".json") || ends_with(de->d_name, "-compiled.json") ||
            ends_with(de->d_name, "-versioned.json") || ends_with(de->d_name, "-append.json") ||
            ends_with(de->d_name, "-by-position.json"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (!(in = json_load_file(path, 0, NULL)) || !json_is_array(in)) {
            json_decref(in);
            continue;
        }
        for (k = 0; k < nrules; k++) {
            json_t *twice = json_array();
            compare_array(t, rules[k], in, path);
            json_array_extend(twice, in); /* ids met again, versions unchanged */
            json_array_extend(twice, in);
            compare_array(t, rules[k], twice, path);
            json_decref(twice);
        }
        json_decref(in);
    }
    if (d)
        closedir(d);
}

static void test_fixtures(const struct ocds_merge_rules *const *all, size_t nall, const struct ocds_merge_rules *rtest)
{
    const char *fx = tap_shared("ocds/merge-fixtures");
    static const char *const sub[] = {"1.1", "1.0", "schema"};
    struct tally t = {0};
    char base[4096], dir[4200];
    size_t i;
    const struct ocds_merge_rules *with_test[8];

    if (!fx) {
        skip("no shared data: ocds/merge-fixtures");
        return;
    }
    snprintf(base, sizeof base, "%s", fx);
    for (i = 0; i < nall && i < 7; i++)
        with_test[i] = all[i];
    with_test[i++] = rtest;
    for (size_t s = 0; s < BF_ARRAY_LEN(sub); s++) {
        snprintf(dir, sizeof dir, "%s/%s", base, sub[s]);
        fixtures_dir(&t, dir, with_test, i);
    }
    report(&t, "ocds-merge fixtures x every rule set (each twice over too)");
    /* the override rules the upstream collision tests use */
    {
        static const unsigned flags[] = {OCDS_MERGE_APPEND, OCDS_MERGE_BY_POSITION, OCDS_MERGE_WHOLE_LIST,
                                         OCDS_MERGE_APPEND | OCDS_MERGE_BY_POSITION};
        struct tally o = {0};
        for (i = 0; i < BF_ARRAY_LEN(flags); i++) {
            struct ocds_merge_rules *r = NULL;
            ocds_merge_rules_builtin(&r, NULL);
            ocds_merge_rules_set(r, "nested/array", flags[i], NULL);
            ocds_merge_rules_set(r, "tender/items", flags[i], NULL);
            ocds_merge_rules_set(r, "awards", flags[i], NULL);
            snprintf(dir, sizeof dir, "%s/schema", base);
            fixtures_dir(&o, dir, (const struct ocds_merge_rules *const *)&r, 1);
            snprintf(dir, sizeof dir, "%s/1.1", base);
            fixtures_dir(&o, dir, (const struct ocds_merge_rules *const *)&r, 1);
            ocds_merge_rules_free(r);
        }
        report(&o, "fixtures with append / by-position / whole-list overrides");
    }
}

/* ---- real data: every release under ocds/real, grouped by ocid --------- */

struct relset {
    json_t **v;
    size_t n, cap;
};

static void relset_add(struct relset *s, json_t *r)
{
    if (!json_is_object(r) || !json_is_string(json_object_get(r, "ocid")))
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = bf_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = json_incref(r);
}

static void collect_doc(struct relset *s, json_t *doc)
{
    size_t i, j;
    json_t *x, *y;

    if (json_is_array(doc)) {
        json_array_foreach(doc, i, x) collect_doc(s, x);
        return;
    }
    if (json_is_array(json_object_get(doc, "releases"))) {
        json_array_foreach(json_object_get(doc, "releases"), i, x) relset_add(s, x);
    } else if (json_is_array(json_object_get(doc, "records"))) {
        json_array_foreach(json_object_get(doc, "records"), i, x) {
            json_array_foreach(json_object_get(x, "releases"), j, y) relset_add(s, y);
        }
    } else {
        relset_add(s, doc);
    }
}

static void collect_tree(struct relset *s, const char *dir, int depth)
{
    DIR *d = depth < 6 ? opendir(dir) : NULL;
    struct dirent *de;

    while (d && (de = readdir(d))) {
        char path[4096];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            collect_tree(s, path, depth + 1);
        } else if (ends_with(de->d_name, ".json")) {
            json_t *doc = json_load_file(path, 0, NULL);
            if (doc)
                collect_doc(s, doc);
            json_decref(doc);
        }
    }
    if (d)
        closedir(d);
}

static int by_ocid(const void *pa, const void *pb)
{
    json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    return strcmp(json_string_value(json_object_get(a, "ocid")), json_string_value(json_object_get(b, "ocid")));
}

static void test_realdata(const struct ocds_merge_rules *const *all, size_t nall)
{
    const char *real = tap_shared("ocds/real");
    struct relset s = {0};
    struct tally t = {0};
    size_t i, start, k, records = 0;

    if (!real) {
        skip("no shared data: ocds/real");
        return;
    }
    collect_tree(&s, real, 0);
    qsort(s.v, s.n, sizeof *s.v, by_ocid);
    for (start = 0, i = 1; i <= s.n; i++) {
        if (i < s.n && by_ocid(&s.v[i], &s.v[start]) == 0)
            continue;
        for (k = 0; k < nall; k++)
            compare(&t, all[k], &s.v[start], i - start, json_string_value(json_object_get(s.v[start], "ocid")));
        records++;
        start = i;
    }
    report(&t, "real data (ocdskit, prozorro, 2018 sample data)");
    diag("%zu real releases in %zu records", s.n, records);
    for (i = 0; i < s.n; i++)
        json_decref(s.v[i]);
    free(s.v);
}

/* ---- generated defence records, as published ---------------------------- */

struct gen {
    json_t **v;
    size_t n, cap;
};

static int gen_collect(void *arg, json_t *r)
{
    struct gen *g = arg;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 1024;
        g->v = bf_xrealloc(g->v, g->cap * sizeof *g->v);
    }
    g->v[g->n++] = json_deep_copy(r);
    return 0;
}

/* The public form publishing stores (personal data, withheld fields). */
static json_t *published(const json_t *r, const uint8_t *key, json_t **side)
{
    json_t *p = NULL, *pub = NULL;
    *side = NULL;
    if (ocds_withhold_personal(r, &p, NULL) < 0)
        return json_incref((json_t *)r);
    if (ocds_withhold_keyed(p, key, &pub, side, NULL) < 0)
        pub = json_incref(p);
    json_decref(p);
    return pub;
}

/* A release disclosing everything the submitted release r withheld. */
static json_t *disclosure(const json_t *r, const json_t *pub, const json_t *side, const uint8_t *key)
{
    json_t *next = json_deep_copy(r), *list = json_object_get(next, "withheld"), *e, *disc = NULL, *out, *s2;
    char id[256];
    size_t i;

    snprintf(id, sizeof id, "%s-disclosure", json_string_value(json_object_get(r, "id")));
    json_object_set_new(next, "id", json_string(id));
    json_object_set_new(next, "date", json_string("2099-01-01T00:00:00Z"));
    json_object_set_new(next, "tag", json_pack("[s]", "contractUpdate"));
    json_array_foreach(list, i, e) json_object_set_new(e, "disclosed", json_true());
    if (ocds_disclose(next, pub, side, &disc, NULL) < 0) {
        json_decref(next);
        return NULL;
    }
    out = published(disc, key, &s2);
    json_decref(s2), json_decref(disc), json_decref(next);
    return out;
}

/* Generated releases as records of public releases (one disclosure added
 * to each record whose last release withholds something). */
static size_t gen_records(size_t count, struct gen *out, size_t **starts, size_t *ndisc, size_t *nmarkers)
{
    struct gen g = {0};
    uint8_t key[OCDS_WITHHELD_KEY_LEN];
    size_t i, nrec = 0, start = 0;
    json_t *w_raw = NULL, *w_pub = NULL, *w_side = NULL;

    memset(key, 7, sizeof key);
    ocds_demo_generate(1, count, gen_collect, &g);
    *starts = bf_xcalloc(count + 2, sizeof **starts);
    *ndisc = *nmarkers = 0;
    for (i = 0; i < g.n; i++) {
        json_t *side = NULL, *pub = published(g.v[i], key, &side);
        int last = i + 1 == g.n || strcmp(json_string_value(json_object_get(g.v[i + 1], "ocid")),
                                          json_string_value(json_object_get(g.v[i], "ocid")));
        if (i == start)
            (*starts)[nrec++] = out->n;
        gen_collect(out, pub);
        *nmarkers += json_array_size(json_object_get(g.v[i], "withheld"));
        if (json_array_size(json_object_get(g.v[i], "withheld")) && side) { /* the latest to disclose */
            json_decref(w_raw), json_decref(w_pub), json_decref(w_side);
            w_raw = json_incref(g.v[i]), w_pub = json_incref(pub), w_side = json_incref(side);
        }
        if (last && w_raw) {
            json_t *d = disclosure(w_raw, w_pub, w_side, key);
            if (d) {
                gen_collect(out, d);
                (*ndisc)++;
            }
            json_decref(d);
            json_decref(w_raw), json_decref(w_pub), json_decref(w_side);
            w_raw = w_pub = w_side = NULL;
        }
        if (last)
            start = i + 1;
        json_decref(pub), json_decref(side), json_decref(g.v[i]);
    }
    (*starts)[nrec] = out->n;
    free(g.v);
    return nrec;
}

/* ---- random mutations ------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A value anywhere in v (a random walk down), with its parent. */
static void pick(json_t *v, json_t **parent, const char **key, size_t *index)
{
    int steps = (int)(rnd() % 6) + 1;
    *parent = NULL, *key = NULL, *index = 0;
    while (steps-- > 0) {
        size_t n = json_is_object(v) ? json_object_size(v) : json_is_array(v) ? json_array_size(v) : 0, k;
        void *it;
        if (!n)
            return;
        k = rnd() % n;
        *parent = v;
        if (json_is_array(v)) {
            *index = k;
            v = json_array_get(v, k);
        } else {
            for (it = json_object_iter(v); k--; it = json_object_iter_next(v, it))
                ;
            *key = json_object_iter_key(it);
            v = json_object_iter_value(it);
        }
    }
}

static json_t *mutant(const json_t *old)
{
    switch (rnd() % 14) {
    case 0:
        return json_pack("{sbssss}", "withheld", 1, "reason", "defenceSecurity", "commitment", "sha256:00");
    case 1:
        return json_pack("{sbss}", "withheld", 1, "reason", "commercialInterest");
    case 2:
        return json_null();
    case 3:
        return json_object();
    case 4:
        return json_array();
    case 5:
        return json_pack("[{ss}]", "id", rnd() % 2 ? "1" : "2");
    case 6:
        return json_pack("[{sisi}]", "id", (int)(rnd() % 3), "x", 1);
    case 7:
        return json_pack("[{si}, {si}]", "x", 1, "x", 2);
    case 8:
        return json_pack("[si]", "a", 1);
    case 9:
        return json_pack("{s{si}s[{ss}]}", "a", "b", 1, "items", "id", "1");
    case 10:
        return json_integer((json_int_t)(rnd() % 3));
    case 11:
        return json_pack("{sbs{si}}", "withheld", 0, "amount", "x", 1);
    case 12:
        return json_pack("{ss}", "\xee\x80\x80", "private use sorts after supplementary");
    default:
        return old ? json_deep_copy(old) : json_string("dup");
    }
}

static void mutate(json_t *r)
{
    json_t *parent, *v;
    const char *key;
    size_t index;

    pick(r, &parent, &key, &index);
    if (!parent)
        return;
    v = key ? json_object_get(parent, key) : json_array_get(parent, index);
    if (key && (!strcmp(key, "date") || !strcmp(key, "ocid")) && parent == r)
        return; /* keep the release mergeable most of the time */
    if (key && rnd() % 8 == 0)
        json_object_del(parent, key);
    else if (key)
        json_object_set_new(parent, key, mutant(v));
    else
        json_array_set_new(parent, index, mutant(v));
}

static void test_generated(const struct ocds_merge_rules *const *all, size_t nall, size_t count, size_t mutations)
{
    struct gen g = {0};
    size_t *starts = NULL, ndisc, nmark, nrec = gen_records(count, &g, &starts, &ndisc, &nmark), i, k, j;
    struct tally t = {0}, mt = {0};
    char label[256];

    for (i = 0; i < nrec; i++) {
        size_t a = starts[i], n = starts[i + 1] - a;
        snprintf(label, sizeof label, "record %zu (%s)", i, json_string_value(json_object_get(g.v[a], "ocid")));
        for (k = 0; k < nall; k++)
            compare(&t, all[k], &g.v[a], n, label);
    }
    ok(ndisc > 0 && nmark > ndisc, "generated records carry withheld markers (%zu) and disclosures (%zu)", nmark, ndisc);
    report(&t, "generated defence records as published, with disclosures");

    rng_state = 42;
    for (j = 0; j < mutations; j++) {
        size_t rec = rnd() % nrec, a = starts[rec], n = starts[rec + 1] - a, m, x;
        json_t **copy = bf_xcalloc(n, sizeof *copy);
        for (x = 0; x < n; x++)
            copy[x] = json_deep_copy(g.v[a + x]);
        for (m = rnd() % 6 + 1; m > 0; m--)
            mutate(copy[rnd() % n]);
        snprintf(label, sizeof label, "mutation %zu of record %zu", j, rec);
        compare(&mt, all[j % nall], copy, n, label);
        for (x = 0; x < n; x++)
            json_decref(copy[x]);
        free(copy);
    }
    report(&mt, "mutated generated records (markers, nulls, kinds, ids, empties)");
    for (i = 0; i < g.n; i++)
        json_decref(g.v[i]);
    free(g.v);
    free(starts);
}

/* ---- errors -------------------------------------------------------------------- */

static void test_errors(void)
{
    struct tally t = {0};
    json_t *a = json_loads("{\"ocid\":\"o\",\"id\":\"1\",\"date\":\"2000-01-01T00:00:00Z\",\"tag\":[\"tender\"]}", 0, NULL);
    json_t *b = json_loads("{\"ocid\":\"o\",\"id\":\"2\"}", 0, NULL), *rels[2] = {a, b}, *deep, *cur;
    struct bf_buf c = BF_BUF_INIT, v = BF_BUF_INIT;
    struct bf_err err = {0};
    int i;

    compare(&t, NULL, rels, 2, "missing date");
    json_object_set_new(b, "date", json_integer(5));
    compare(&t, NULL, rels, 2, "non-string date");
    json_object_set_new(b, "date", json_string("2001-01-01T00:00:00Z"));
    compare(&t, NULL, rels, 2, "two releases");
    compare(&t, NULL, rels, 0, "no releases");
    ok(ocds_merge_texts(NULL, rels, 0, &c, &v, &err) == 0 && !strcmp(c.data, "{\"tag\":[\"compiled\"]}") &&
           !strcmp(v.data, "{}"),
       "no releases: a bare compiled skeleton and an empty versioned release");
    /* deep inside a marker: only the versioned merge walks it */
    deep = json_object();
    cur = deep;
    json_object_set_new(cur, "withheld", json_true());
    for (i = 0; i < 80; i++) {
        json_t *n = json_object();
        json_object_set_new(cur, "x", n);
        cur = n;
    }
    json_object_set_new(a, "tender", json_pack("{sO}", "value", deep));
    compare(&t, NULL, rels, 2, "deep marker");
    json_decref(deep);
    /* the versioned release nests two levels deeper than the compiled */
    deep = json_object();
    cur = deep;
    for (i = 0; i < 61; i++) {
        json_t *n = json_object();
        json_object_set_new(cur, "x", n);
        cur = n;
    }
    json_object_set_new(cur, "leaf", json_true());
    json_object_set_new(a, "tender", deep);
    compare(&t, NULL, rels, 2, "61 levels");
    json_object_set_new(cur, "leaf", json_pack("[[[1]]]"));
    compare(&t, NULL, rels, 2, "61 levels and a deep whole list");
    json_object_set_new(cur, "leaf", json_true());
    json_object_set_new(a, "tag", json_pack("[[[[[[[[[[[[s]]]]]]]]]]]]", "x"));
    compare(&t, NULL, rels, 2, "deep tag in the versions");
    /* output limit */
    bf_buf_free(&c), bf_buf_free(&v);
    bf_buf_init(&c, 40);
    bf_buf_init(&v, 1 << 20);
    ok(ocds_merge_texts(NULL, rels, 2, &c, &v, &err) == BF_ELIMIT && c.len == 0 && v.len == 0,
       "output over the buffer's limit: %s; buffers unchanged", err.msg);
    report(&t, "errors agree (missing and bad dates, depth in walk and text, tag depth)");
    bf_buf_free(&c), bf_buf_free(&v);
    json_decref(a), json_decref(b);
}

/* Keys around the 1 MiB bound of ocds_merge.c's paths: a marker under an
 * identified item, then the disclosed value (so the unmark paths too). */
static void test_long_path(void)
{
    struct tally t = {0};
    size_t max = (size_t)1 << 20, len;
    char *k = bf_xmalloc(max + 1);
    json_t *rels[2];

    memset(k, 'k', max);
    for (len = max - 96; len <= max - 20; len += 4) {
        k[len] = '\0';
        rels[0] = json_pack("{sssssss{s[{sss{s{sbss}}}]}}", "ocid", "o", "id", "1", "date", "2000-01-01T00:00:00Z", k,
                            "a", "id", "x", "zz", "v", "withheld", 1, "reason", "r");
        rels[1] = json_pack("{sssssss{s[{sss{s{si}}}]}}", "ocid", "o", "id", "2", "date", "2001-01-01T00:00:00Z", k,
                            "a", "id", "x", "zz", "v", "amount", 1);
        compare(&t, NULL, rels, 2, "long key");
        json_decref(rels[0]), json_decref(rels[1]);
        k[len] = 'k';
    }
    report(&t, "paths at ocds_merge.c's 1 MiB bound");
    free(k);
}

int main(int argc, char **argv)
{
    const char *rs = tap_shared("ocds/schema/release-schema.json");
    const char *fxs = tap_shared("ocds/merge-fixtures/schema.json");
    struct ocds_merge_rules *r10 = NULL, *r11 = NULL, *rtest = NULL, *rbuilt = NULL;
    const struct ocds_merge_rules *all[4];
    size_t nall = 0, count = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 3000;
    json_t *s;

    all[nall++] = NULL; /* built-in */
    ocds_merge_rules_for_version("1.0", &r10, NULL);
    all[nall++] = r10;
    ocds_merge_rules_builtin(&rbuilt, NULL);
    ocds_merge_rules_set(rbuilt, "awards/suppliers", OCDS_MERGE_APPEND, NULL);
    ocds_merge_rules_set(rbuilt, "contracts/implementation/milestones", OCDS_MERGE_BY_POSITION, NULL);
    all[nall++] = rbuilt;
    if (rs && (s = json_load_file(rs, 0, NULL))) {
        if (ocds_merge_rules_from_schema(s, &r11, NULL) == 0)
            all[nall++] = r11;
        json_decref(s);
    }
    if (fxs && (s = json_load_file(fxs, 0, NULL))) {
        ocds_merge_rules_from_schema(s, &rtest, NULL);
        json_decref(s);
    }
    test_fixtures(all, nall, rtest);
    test_realdata(all, nall);
    test_generated(all, nall, count, count);
    test_errors();
    test_long_path();
    ocds_merge_rules_free(r10), ocds_merge_rules_free(r11), ocds_merge_rules_free(rtest);
    ocds_merge_rules_free(rbuilt);
    return tap_done();
}
