/*
 * test_store_pack.c - packed row values (store_pack.h):
 *  - the codec: plain texts pass, a packed value round-trips, every
 *    truncation is an error and every flipped byte an error or a text of
 *    the declared length (within bounds);
 *  - a kind stays plain while it samples, trains one dictionary once it
 *    has about a megabyte, commits it, then packs; a reopened store packs
 *    at once with the same dictionary;
 *  - a thread that holds the write transaction never trains;
 *  - a store whose columns are TEXT (made before packing) stays plain;
 *  - release and record rows written packed read back as their texts
 *    through every read, and a damaged or orphaned packed row is
 *    BF_ECORRUPT with a message, not a wrong text.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "tap.h"
#include "testutil.h"
#include "buf.h"
#include "store/store.h"
#include "store/store_ocds.h"
#include "store/store_pack.h"
#include "store/store_pack_int.h"

#include <pthread.h>

static const char *const words[] = {
    "tender", "award", "contract", "planning", "Ministry of Defence", "Brussels", "Leuven", "EUR", "drone",
    "ammunition", "open", "restricted", "negotiatedWithPublication", "complete", "active", "supplier",
    "buyer", "items", "classification", "CPV", "35613000", "value", "amount", "currency", "description",
};

/* A release-like JSON text, about 1 KB, the same for the same (i, seed)
 * and different for different ones; the state is the caller's (threads). */
static void make_text_r(struct bf_buf *b, int i, uint64_t seed)
{
    int k, rc = 0;
    uint64_t r = seed | 1;
#define R() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, (unsigned)(r >> 11))
    bf_buf_reset(b);
    rc |= bf_buf_printf(b, "{\"ocid\":\"ocds-b3lfry-T-%06d\",\"id\":\"r-%d\",\"parties\":[", i / 7, i);
    for (k = 0; k < 12; k++) {
        unsigned w1 = R() % BF_ARRAY_LEN(words), w2 = R() % BF_ARRAY_LEN(words), w3 = R() % BF_ARRAY_LEN(words);
        unsigned id = R() % 5000, amount = R() % 1000000;
        rc |= bf_buf_printf(b, "%s{\"id\":\"p-%u\",\"name\":\"%s %s\",\"roles\":[\"%s\"],\"amount\":%u}", k ? "," : "", id,
                            words[w1], words[w2], words[w3], amount);
    }
#undef R
    rc |= bf_buf_puts(b, "]}");
    if (rc)
        abort();
}

static void make_text(struct bf_buf *b, int i)
{
    make_text_r(b, i, 88172645463325252ULL ^ ((uint64_t)i * 0x9E3779B97F4A7C15ULL));
}

/* ---- the codec ------------------------------------------------------------ */

static void test_codec(void)
{
    struct bf_buf text = BF_BUF_INIT, packed = BF_BUF_INIT, back = BF_BUF_INIT, dict = BF_BUF_INIT;
    struct bf_err err = { 0 };
    LZ4_stream_t base;
    uint32_t id = 0;
    uint64_t len = 0;
    size_t hlen = 0, i;
    int bad = 0, k;
    unsigned char two[2] = { STORE_PACK_MAGIC0, STORE_PACK_MAGIC1 };

    for (k = 0; k < 20; k++) { /* a raw dictionary: the codec does not care how it was made */
        make_text(&text, k);
        if (bf_buf_append(&dict, text.data, text.len) < 0)
            abort();
    }
    LZ4_initStream(&base, sizeof base);
    LZ4_loadDict(&base, dict.data, (int)dict.len);
    ok(store_pack_header("{\"a\":1}", 7, &id, &len, &hlen) == 0, "JSON text is plain");
    ok(store_pack_header("\001VP1xyz", 7, &id, &len, &hlen) == 0, "a text starting with 0x01 (older stores' packed versioned releases) is plain");
    ok(store_pack_header(two, 2, &id, &len, &hlen) == BF_ECORRUPT, "the prefix without a dictionary number is damaged");
    ok(store_pack_header("\002L\000\005", 4, &id, &len, &hlen) == BF_ECORRUPT, "dictionary 0 is damaged");
    ok(store_pack_header("\002L\001", 3, &id, &len, &hlen) == BF_ECORRUPT, "a missing length is damaged");
    ok(store_pack_header("\002L\377\377\377\377\377\001\001", 9, &id, &len, &hlen) == BF_ECORRUPT,
       "an overlong dictionary number is damaged");

    make_text(&text, 1000);
    k = store_pack_encode(&base, 300, text.data, text.len, &packed);
    ok(k == 1 && packed.len < text.len / 2, "a 1 KB text packs to less than half (%zu -> %zu bytes)", text.len,
       packed.len);
    ok(store_pack_is_packed(packed.data, packed.len) &&
           store_pack_header(packed.data, packed.len, &id, &len, &hlen) == 1 && id == 300 && len == text.len &&
           hlen == 6,
       "the prefix names dictionary 300 and the length, in two-byte varints");
    ok(store_pack_decode(dict.data, dict.len, packed.data, packed.len, hlen, len, &back, &err) == 0 &&
           back.len == text.len && !memcmp(back.data, text.data, text.len) && back.data[back.len] == '\0',
       "it unpacks to the same text, NUL-terminated");
    ok(store_pack_decode(dict.data, dict.len - 1, packed.data, packed.len, hlen, len, &back, &err) != 0 ||
           memcmp(back.data, text.data, text.len),
       "another dictionary does not give the text back");
    ok(store_pack_encode(&base, 1, "{\"x\":\"\\u0001\"}", 14, &packed) == 0, "a text that would not shrink stays plain");

    ok(store_pack_encode(&base, 300, text.data, text.len, &packed) == 1, "packed again");
    for (i = hlen; i < packed.len; i++) { /* every truncation */
        int rc = store_pack_decode(dict.data, dict.len, packed.data, i, hlen, len, &back, &err);
        bad += rc != BF_ECORRUPT;
    }
    ok(bad == 0, "every truncation is BF_ECORRUPT");
    bad = 0;
    for (i = hlen; i < packed.len; i++) { /* every byte flipped: an error or a text of exactly its length */
        int rc;
        packed.data[i] ^= 0x5a;
        rc = store_pack_decode(dict.data, dict.len, packed.data, packed.len, hlen, len, &back, &err);
        bad += rc == 0 ? back.len != len : rc != BF_ECORRUPT;
        packed.data[i] ^= 0x5a;
    }
    ok(bad == 0, "a damaged block is BF_ECORRUPT or decodes to exactly its length (ASan: within bounds)");
    ok(store_pack_decode(dict.data, dict.len, packed.data, packed.len, hlen, len + 1, &back, &err) == BF_ECORRUPT,
       "a length that does not match the block is BF_ECORRUPT: %s", err.msg);
    back.max = 100;
    ok(store_pack_decode(dict.data, dict.len, packed.data, packed.len, hlen, len, &back, &err) == BF_ELIMIT,
       "a text longer than the output's limit is BF_ELIMIT: %s", err.msg);
    ok(store_pack_decode(dict.data, dict.len, packed.data, packed.len, hlen, (uint64_t)1 << 40, &back, &err) ==
           BF_ELIMIT,
       "a length past the unpack limit is BF_ELIMIT, before any allocation");
    bf_buf_free(&text), bf_buf_free(&packed), bf_buf_free(&back), bf_buf_free(&dict);
}

/* ---- dictionaries in a store ------------------------------------------- */

/* Packs generated texts of kind k until one packs; how many stayed plain. */
static int feed_until_packed(struct store *s, enum store_pack_kind k, int *from, int limit)
{
    struct bf_buf text = BF_BUF_INIT, out = BF_BUF_INIT;
    int plain = 0;
    for (; plain < limit; (*from)++) {
        make_text(&text, *from);
        if (store_pack(s, k, text.data, text.len, &out) == 1)
            break;
        plain++;
    }
    bf_buf_free(&text), bf_buf_free(&out);
    return plain;
}

static int unpacks_to(struct store *s, const struct bf_buf *packed, const struct bf_buf *text)
{
    struct bf_buf out = BF_BUF_INIT;
    struct bf_err err = { 0 };
    struct store_conn *c = store_sqlite_reader(s, &err);
    int rc = c ? store_sqlite_unpack(s, c, packed->data, packed->len, &out, &err) : -1;
    int same = rc == 1 && out.len == text->len && !memcmp(out.data, text->data, text->len);
    if (!same)
        diag("unpack: %d %s", rc, err.msg);
    bf_buf_free(&out);
    return same;
}

static void test_training(const char *dir)
{
    struct store *s = NULL;
    struct store_txn *t = NULL;
    struct bf_buf text = BF_BUF_INIT, packed = BF_BUF_INIT;
    struct bf_err err = { 0 };
    uint32_t id;
    int from = 0, plain;

    if (store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0) {
        ok(0, "open: %s", err.msg);
        return;
    }
    ok(store_pack_dict_id(s, STORE_PACK_RELEASE) == 0, "a new store has no dictionary");
    make_text(&text, 0);
    ok(store_pack(s, STORE_PACK_RELEASE, "{}", 2, &packed) == 0, "a short text stays plain");

    /* holding the write transaction: sampling goes on, training waits */
    ok(store_txn_begin(s, &t, &err) == 0, "a write transaction");
    plain = feed_until_packed(s, STORE_PACK_RELEASE, &from, 1500);
    ok(plain == 1500 && store_pack_dict_id(s, STORE_PACK_RELEASE) == 0,
       "the thread holding the write transaction does not train (%d texts plain)", plain);
    store_txn_rollback(t);

    plain = feed_until_packed(s, STORE_PACK_RELEASE, &from, 5000);
    id = store_pack_dict_id(s, STORE_PACK_RELEASE);
    ok(plain == 0 && id > 0, "once the transaction ends, the next text trains dictionary %u and is packed with it", id);
    ok(store_pack_dict_id(s, STORE_PACK_RECORD) == 0, "each kind has its own dictionary");
    make_text(&text, 99999);
    plain = store_pack(s, STORE_PACK_RELEASE, text.data, text.len, &packed);
    ok(plain == 1 && packed.len * 3 < text.len, "a new text packs to under a third (%zu -> %zu bytes)", text.len,
       packed.len);
    ok(unpacks_to(s, &packed, &text), "and unpacks to itself");
    store_close(s);

    s = NULL;
    if (store_open(dir, 0, &s, &err) < 0) {
        ok(0, "reopen: %s", err.msg);
        return;
    }
    ok(unpacks_to(s, &packed, &text), "after reopening, the value unpacks (dictionary read from the store)");
    ok(store_pack(s, STORE_PACK_RELEASE, text.data, text.len, &packed) == 1 &&
           store_pack_dict_id(s, STORE_PACK_RELEASE) == id,
       "a reopened store packs at once, with the same dictionary");
    store_close(s);
    bf_buf_free(&text), bf_buf_free(&packed);
}

/* Two stores in one thread, each with its own dictionary (both with the
 * same number): the thread's copies of the dictionaries (sqlite_pack.c,
 * struct pack_tls) never pack one store's values against the other's,
 * nor against a closed store's. */
static void test_two_stores(const char *da, const char *db)
{
    struct store *a = NULL, *b = NULL;
    struct bf_buf text = BF_BUF_INIT, packed = BF_BUF_INIT;
    struct bf_err err = { 0 };
    int from_a = 0, from_b = 700000, i, good = 0;

    if (store_open(da, STORE_CREATE | STORE_NOSYNC, &a, &err) < 0 ||
        store_open(db, STORE_CREATE | STORE_NOSYNC, &b, &err) < 0) {
        ok(0, "open: %s", err.msg);
        store_close(a);
        return;
    }
    feed_until_packed(a, STORE_PACK_RELEASE, &from_a, 5000);
    feed_until_packed(b, STORE_PACK_RELEASE, &from_b, 5000);
    ok(store_pack_dict_id(a, STORE_PACK_RELEASE) > 0 && store_pack_dict_id(b, STORE_PACK_RELEASE) > 0,
       "two stores trained dictionaries %u and %u", store_pack_dict_id(a, STORE_PACK_RELEASE),
       store_pack_dict_id(b, STORE_PACK_RELEASE));
    for (i = 0; i < 8; i++) {
        struct store *s = i % 2 ? b : a;
        make_text(&text, 900000 + i);
        good += store_pack(s, STORE_PACK_RELEASE, text.data, text.len, &packed) == 1 && unpacks_to(s, &packed, &text);
    }
    ok(good == 8, "values packed alternately in the two stores unpack in their own (%d of 8)", good);
    store_close(a);
    a = NULL;
    if (store_open(da, 0, &a, &err) < 0) {
        ok(0, "reopen: %s", err.msg);
    } else {
        for (good = 0, i = 0; i < 4; i++) {
            struct store *s = i % 2 ? b : a;
            make_text(&text, 910000 + i);
            good += store_pack(s, STORE_PACK_RELEASE, text.data, text.len, &packed) == 1 && unpacks_to(s, &packed, &text);
        }
        ok(good == 4, "and after one store is closed and reopened (%d of 4)", good);
    }
    store_close(a);
    store_close(b);
    bf_buf_free(&text), bf_buf_free(&packed);
}

/* A store made before packing: its ocds columns are TEXT. */
static void test_text_columns(const char *dir)
{
    struct store *s = NULL;
    struct store_txn *t = NULL;
    struct bf_err err = { 0 };
    int from = 0, plain;

    if (store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0 || store_txn_begin(s, &t, &err) < 0 ||
        store_sqlite_exec(store_sqlite_writer(t),
                          "DROP TABLE ocds_release; CREATE TABLE ocds_release(idx INTEGER PRIMARY KEY,"
                          " ocid TEXT NOT NULL, rid TEXT NOT NULL, date TEXT NOT NULL, tags TEXT NOT NULL,"
                          " sha256 TEXT NOT NULL, src_sha256 TEXT NOT NULL, body TEXT NOT NULL,"
                          " UNIQUE(ocid, rid)) STRICT;",
                          &err) < 0 ||
        store_txn_commit(t, &err) < 0) {
        ok(0, "old schema: %s", err.msg);
        store_close(s);
        return;
    }
    plain = feed_until_packed(s, STORE_PACK_RELEASE, &from, 3000);
    ok(plain == 3000 && store_pack_dict_id(s, STORE_PACK_RELEASE) == 0,
       "with a TEXT body column nothing packs and nothing trains");
    store_close(s);
}

/* ---- rows through the ocds store --------------------------------------- */

static int count_row(void *arg, const struct store_ocds_release *r)
{
    const struct bf_buf *want = arg;
    return r->body_len == want->len && !memcmp(r->body, want->data, want->len) ? 0 : 1;
}

static void test_rows(const char *dir)
{
    struct store *s = NULL;
    struct store_txn *t = NULL;
    struct store_ocds_record rec = { 0 };
    struct bf_buf text = BF_BUF_INIT, packed = BF_BUF_INIT, ptext = BF_BUF_INIT;
    struct bf_err err = { 0 };
    char *body = NULL, sha[65];
    size_t len = 0;
    int from = 0;

    memset(sha, 'a', 64), sha[64] = '\0';
    if (store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0) {
        ok(0, "open: %s", err.msg);
        return;
    }
    feed_until_packed(s, STORE_PACK_RELEASE, &from, 5000);
    feed_until_packed(s, STORE_PACK_RECORD, &from, 5000);
    make_text(&text, 424242);
    ok(store_pack(s, STORE_PACK_RELEASE, text.data, text.len, &packed) == 1, "a release body packs");
    ok(store_pack(s, STORE_PACK_RECORD, text.data, text.len, &ptext) == 1, "a record text packs");
    {
        struct store_ocds_release r = { 7, "ocds-x-1", "r1", "2024-01-01T00:00:00Z", "tender", sha, sha,
                                        packed.data, packed.len };
        struct store_ocds_release r2 = { 8, "ocds-x-1", "r2", "2024-02-01T00:00:00Z", "award", sha, sha,
                                         text.data, text.len };
        struct store_ocds_added a = { "ocds-x-1", 2, 7, 8, "2024-02-01T00:00:00Z" };
        ok(store_txn_begin(s, &t, &err) == 0 && store_ocds_release_insert(t, &r, &err) == 0 &&
               store_ocds_release_insert(t, &r2, &err) == 0 &&
               store_ocds_record_put(t, &a, 0, ptext.data, ptext.len, &err) == 0 &&
               store_txn_commit(t, &err) == 0,
           "a packed and a plain release, and a packed record, are stored: %s", err.msg);
    }
    ok(store_ocds_release_body(s, "ocds-x-1", "r1", &body, &len, NULL, &err) == 0 && len == text.len &&
           !memcmp(body, text.data, len),
       "the packed body reads back as its text");
    free(body);
    body = NULL;
    ok(store_ocds_release_body(s, "ocds-x-1", "r2", &body, &len, NULL, &err) == 0 && len == text.len &&
           !memcmp(body, text.data, len),
       "the plain body reads back as it is");
    free(body);
    ok(store_ocds_releases_of(s, "ocds-x-1", count_row, &text, &err) == 0, "a walk of the record's releases gives both texts");
    ok(store_ocds_feed(s, -1, 10, count_row, &text, &err) == 0, "so does the change feed");
    ok(store_ocds_record_get(s, "ocds-x-1", &rec, &err) == 0 && rec.compiled_len == text.len &&
           !memcmp(rec.compiled, text.data, text.len),
       "the record's compiled text reads back unpacked");
    store_ocds_record_clear(&rec);

    /* damage: a cut block, then a dictionary that does not exist */
    ok(store_txn_begin(s, &t, &err) == 0 &&
           store_sqlite_exec(store_sqlite_writer(t),
                             "UPDATE ocds_release SET body = substr(body, 1, length(body) - 10)"
                             " WHERE rid = 'r1';"
                             "UPDATE ocds_record SET compiled = x'024c7f0a00112233';",
                             &err) == 0 &&
           store_txn_commit(t, &err) == 0,
       "two rows damaged");
    body = NULL;
    memset(&err, 0, sizeof err);
    ok(store_ocds_release_body(s, "ocds-x-1", "r1", &body, &len, NULL, &err) == BF_ECORRUPT && !body && err.msg[0],
       "a damaged packed body is BF_ECORRUPT: %s", err.msg);
    memset(&err, 0, sizeof err);
    ok(store_ocds_releases_of(s, "ocds-x-1", count_row, &text, &err) == BF_ECORRUPT, "so is a walk over it: %s",
       err.msg);
    memset(&err, 0, sizeof err);
    ok(store_ocds_record_get(s, "ocds-x-1", &rec, &err) == BF_ECORRUPT && !rec.compiled,
       "a packed value naming a missing dictionary is BF_ECORRUPT: %s", err.msg);
    store_close(s);
    bf_buf_free(&text), bf_buf_free(&packed), bf_buf_free(&ptext);
}

/* ---- threads -------------------------------------------------------------- */

#define NTHREADS 4
#define PER_THREAD 1200

struct packer_arg {
    struct store *s;
    int id, packed, wrong;
};

/* Packs PER_THREAD texts of both kinds and unpacks each packed one. */
static void *packer(void *arg)
{
    struct packer_arg *a = arg;
    struct bf_buf text = BF_BUF_INIT, out = BF_BUF_INIT;
    int i;

    for (i = 0; i < PER_THREAD; i++) {
        enum store_pack_kind k = i % 3 ? STORE_PACK_RELEASE : STORE_PACK_RECORD;
        make_text_r(&text, a->id * 100000 + i, (uint64_t)(a->id + 1) * 7919 + (uint64_t)i);
        if (store_pack(a->s, k, text.data, text.len, &out) == 1) {
            a->packed++;
            a->wrong += !unpacks_to(a->s, &out, &text);
        }
    }
    bf_buf_free(&text), bf_buf_free(&out);
    return NULL;
}

/* Threads sample, train (one of them, once per kind) and pack at once
 * (ThreadSanitizer runs this test too); no kind trains twice. */
static void test_threads(const char *dir)
{
    struct store *s = NULL;
    struct bf_err err = { 0 };
    struct packer_arg a[NTHREADS];
    pthread_t th[NTHREADS];
    int i, packed = 0, wrong = 0;

    if (store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0) {
        ok(0, "open: %s", err.msg);
        return;
    }
    for (i = 0; i < NTHREADS; i++) {
        a[i] = (struct packer_arg){ s, i, 0, 0 };
        if (pthread_create(&th[i], NULL, packer, &a[i]) != 0)
            abort();
    }
    for (i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        packed += a[i].packed;
        wrong += a[i].wrong;
    }
    /* Values that find a kind's lock taken go by unsampled, so how far the
     * threads got depends on the scheduler; finish on this thread. */
    ok(wrong == 0, "%d values packed by %d threads at once (the rest went by unsampled or while one trained), each "
                   "unpacks to its text", packed, NTHREADS);
    i = 1000000;
    feed_until_packed(s, STORE_PACK_RELEASE, &i, 5000);
    feed_until_packed(s, STORE_PACK_RECORD, &i, 5000);
    ok(store_pack_dict_id(s, STORE_PACK_RELEASE) > 0 && store_pack_dict_id(s, STORE_PACK_RECORD) > 0,
       "then both kinds have their dictionary");
    {
        struct store_txn *t = NULL;
        sqlite3_stmt *st;
        int n = -1;
        if (store_txn_begin(s, &t, &err) == 0) {
            st = store_sqlite_stmt(store_sqlite_writer(t), "SELECT count(*) FROM store_dict", &err);
            if (st && sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int(st, 0);
            if (st)
                sqlite3_reset(st);
            store_txn_rollback(t);
        }
        ok(n == 2, "the store holds exactly two dictionaries (%d)", n);
    }
    store_close(s);
}

int main(void)
{
    char d1[256], d2[256], d3[256], d4[256];

    test_codec();
    if (tu_mkdtemp(d1, sizeof d1, "pack") < 0 || tu_mkdtemp(d2, sizeof d2, "pack-text") < 0 ||
        tu_mkdtemp(d3, sizeof d3, "pack-rows") < 0) {
        ok(0, "temporary directories");
        return tap_done();
    }
    test_training(d1);
    test_text_columns(d2);
    test_rows(d3);
    {
        char e1[256], e2[256];
        if (tu_mkdtemp(e1, sizeof e1, "pack-a") == 0 && tu_mkdtemp(e2, sizeof e2, "pack-b") == 0) {
            test_two_stores(e1, e2);
            tu_rm_rf(e1), tu_rm_rf(e2);
        }
    }
    if (tu_mkdtemp(d4, sizeof d4, "pack-threads") == 0) {
        test_threads(d4);
        tu_rm_rf(d4);
    }
    tu_rm_rf(d1), tu_rm_rf(d2), tu_rm_rf(d3);
    return tap_done();
}
