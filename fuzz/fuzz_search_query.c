/*
 * fuzz_search_query.c - libFuzzer target for the search text path: user
 * text -> portal_fts_query -> portal_fts_split (the in-memory index reads
 * the FTS5 query back into words) -> search_run on a small index.
 *
 * Checked: portal_fts_split takes back exactly what portal_fts_query made
 * (same number of words, each without quotes or spaces, the
 * prefix flag as the text's last character says); any input given to
 * portal_fts_split directly is either rejected or split into words inside
 * its buffer; a search with the words as terms (and raw input bytes as
 * facets and dates) returns a page within its limit and a count within
 * its cap.
 */
#include "common.h"
#include "portal/portal.h"
#include "search/search.h"

static struct search_index *ix;

static void build(void)
{
    static const char *const words[] = { "drone", "drones", "radar", "defence", "fr\xc3\xa9gate", "a", "ab", "abc" };
    int i, k;
    ix = search_index_new();
    for (i = 0; i < 64; i++) {
        char date[32];
        struct search_doc d = { 100 + i % 50, date, i * 1000.0, i % 3 != 0, 1u << (i % 10) };
        snprintf(date, sizeof date, "20%02d-0%d-01T00:00:00Z", 15 + i % 10, 1 + i % 9);
        if (i % 7 == 0)
            d.date = NULL;
        search_doc_begin(ix, &d);
        for (k = 0; k < 1 + i % 5; k++)
            search_doc_token(ix, k % 5, words[(i + k) % 8], strlen(words[(i + k) % 8]), NULL);
        search_doc_end(ix);
        if (i % 16 == 15)
            search_batch_end(ix);
    }
}

static void run(const char *const *w, int n, int prefix, const char *raw, size_t len)
{
    struct search_term t[SEARCH_MAX_TERMS];
    struct search_query q = { 0 };
    struct search_result r;
    char facet[64];
    int i;

    for (i = 0; i < n && i < SEARCH_MAX_TERMS; i++)
        t[i] = (struct search_term){ w[i], strlen(w[i]), prefix && i == n - 1 };
    snprintf(facet, sizeof facet, "%.*s", (int)(len < 20 ? len : 20), raw);
    q.terms = t;
    q.nterms = i;
    q.facets = (const char *const[]){ facet };
    q.nfacets = len > 0 && raw[0] == 'f';
    q.date_min = len > 1 && raw[1] & 1 ? facet : NULL;
    q.cpv1 = len > 2 ? raw[2] % 12 - 1 : -1;
    q.sort = (enum search_sort)(len > 3 ? (unsigned char)raw[3] % 5 : 0);
    q.offset = len > 4 ? (unsigned char)raw[4] % 70 : 0;
    q.limit = 1 + (len > 5 ? (unsigned char)raw[5] % 30 : 9);
    q.count_cap = 40;
    if (search_run(ix, &q, &r, NULL) == 0) {
        if (r.n < 0 || r.n > q.limit || r.total < r.n || r.total > 40 || (r.total < 40 && !r.exact))
            abort();
        search_result_free(&r);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = bf_xmalloc(size + 1), fts[2048], buf[2048];
    const char *w[SEARCH_MAX_TERMS];
    int n, m, prefix = 0, i;

    if (!ix)
        build();
    memcpy(text, data, size);
    text[size] = 0;
    n = portal_fts_query(text, fts, sizeof fts);
    if (n > 0) {
        m = portal_fts_split(fts, buf, sizeof buf, w, SEARCH_MAX_TERMS, &prefix);
        if (m != n || prefix != (text[strlen(text) - 1] != ' '))
            abort();
        for (i = 0; i < m; i++)
            if (strpbrk(w[i], "\" ") || w[i] < buf || w[i] >= buf + sizeof buf)
                abort();
        run(w, m, prefix, text, size);
    }
    m = portal_fts_split(text, buf, sizeof buf, w, SEARCH_MAX_TERMS, &prefix);
    for (i = 0; i < m; i++)
        if (w[i] < buf || w[i] >= buf + sizeof buf)
            abort();
    if (m > 0)
        run(w, m, prefix, text, size);
    free(text);
    return 0;
}
