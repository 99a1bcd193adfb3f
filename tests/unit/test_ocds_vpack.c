/*
 * test_ocds_vpack.c - the packed form of stored versioned releases
 * (ocds_vpack / ocds_vunpack): unpacking gives back the exact text, for
 * generated and real records and for texts that only look like versioned
 * releases or hold 0x01 bytes or the packed form's magic; packed records
 * are much smaller; texts with nothing to gain are kept as they are; a
 * plain text (a row written before packing) reads unchanged; every damaged
 * packed text is BF_ECORRUPT with the output left as it was; a full
 * buffer is BF_ELIMIT.
 */
#include "common.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "ocds/ocds_demo.h"
#include "tap.h"

/* unpack(pack(text)) == text; returns the packed length (0 on failure). */
static size_t roundtrip(const char *text, size_t len, int *same)
{
    struct bf_buf p = BF_BUF_INIT, u = BF_BUF_INIT;
    struct bf_err err = { 0 };
    size_t plen = 0;
    *same = 0;
    if (ocds_vpack(text, len, &p, &err) == 0 && ocds_vunpack(p.data ? p.data : "", p.len, &u, &err) == 0) {
        *same = u.len == len && (len == 0 || memcmp(u.data, text, len) == 0) &&
                ocds_vunpacked_len(p.data ? p.data : "", p.len) == len;
        plen = p.len;
    }
    if (err.code)
        diag("%s", err.msg);
    bf_buf_free(&p);
    bf_buf_free(&u);
    return plen;
}

static void test_generated(void)
{
    json_t *all = ocds_demo_array(3, 3000);
    json_t **v = bf_xcalloc(json_array_size(all) + 1, sizeof *v);
    size_t i, n = json_array_size(all), start = 0, nrec = 0, bad = 0, full = 0, packed = 0;

    for (i = 0; i < n; i++)
        v[i] = json_array_get(all, i);
    for (i = 1; i <= n; i++) {
        struct bf_buf t = BF_BUF_INIT;
        const char *oa = json_string_value(json_object_get(v[start], "ocid"));
        const char *ob = i < n ? json_string_value(json_object_get(v[i], "ocid")) : NULL;
        int same;
        if (ob && strcmp(oa, ob) == 0)
            continue;
        if (ocds_merge_texts(NULL, &v[start], i - start, NULL, &t, NULL) == 0) {
            size_t plen = roundtrip(t.data, t.len, &same);
            bad += !same;
            full += t.len;
            packed += plen;
            nrec++;
        }
        bf_buf_free(&t);
        start = i;
    }
    ok(nrec > 300 && bad == 0, "%zu generated records: every packed versioned release unpacks to its text", nrec);
    ok(packed * 2 < full, "packed they take %zu of %zu bytes (%.0f%%)", packed, full, 100.0 * packed / (full + 1));
    free(v);
    json_decref(all);
}

static void test_lookalikes(void)
{
    static const char *const texts[] = {
        "",
        "{}",
        "{\"releaseDate\":\"",
        "{\"releaseDate\":\"x\"}",
        "{\"releaseDate\":\"x\",\"value\":",
        "{\"releaseDate\":\"x\",\"value\":{\"releaseDate\":\"x\",\"value\":1}}",
        "[{\"releaseDate\":\"a\",\"releaseID\":\"1\",\"releaseTag\":[\"t\"],\"value\":1},"
        "{\"releaseDate\":\"a\",\"releaseID\":\"1\",\"releaseTag\":[\"t\"],\"value\":2},"
        "{\"releaseDate\":\"b\",\"releaseID\":\"2\",\"releaseTag\":[\"t\"],\"value\":3}]",
        "\"\\u0001VP1\"",
        "{\"releaseDate\":\"{\\\"releaseDate\\\":\\\"\",\"value\":\"\\u0001\"}",
    };
    char big[4096];
    size_t i, bad = 0;
    int same;

    for (i = 0; i < BF_ARRAY_LEN(texts); i++) {
        roundtrip(texts[i], strlen(texts[i]), &same);
        bad += !same;
    }
    ok(bad == 0, "texts that only look like versioned releases come back unchanged");
    /* a needle whose ,"value": lies beyond the prefix limit */
    memset(big, 'x', sizeof big);
    memcpy(big, "{\"releaseDate\":\"", 16);
    memcpy(big + 3000, ",\"value\":1}", 11);
    roundtrip(big, sizeof big, &same);
    ok(same, "a prefix longer than the limit is left in place");
}

/* Many distinct prefixes, each used twice: past the table's size the
 * rest stay in place. */
static void test_many_entries(void)
{
    struct bf_buf t = BF_BUF_INIT;
    size_t i, plen;
    int same, rc = 0;
    for (i = 0; !rc && i < 70000; i++)
        rc = bf_buf_printf(&t, "{\"releaseDate\":\"%zu\",\"releaseID\":\"r\",\"releaseTag\":[],\"value\":1},"
                               "{\"releaseDate\":\"%zu\",\"releaseID\":\"r\",\"releaseTag\":[],\"value\":2},", i, i);
    plen = roundtrip(t.data, t.len, &same);
    ok(same && plen > 0 && plen < t.len, "70 000 distinct prefixes (more than the table holds) round-trip (%zu -> %zu bytes)", t.len,
       plen);
    bf_buf_free(&t);
}

static void test_plain(void)
{
    const char *j = "{\"a\":[{\"releaseDate\":\"d\",\"releaseID\":\"i\",\"releaseTag\":[\"t\"],\"value\":1}]}";
    const char ctl[] = "{\"a\":\"\001\",\"releaseDate\":\"d\",\"value\":1,\"releaseDate\":\"d\",\"value\":2}";
    struct bf_buf p = BF_BUF_INIT, u = BF_BUF_INIT;
    int rc;

    rc = ocds_vunpack(j, strlen(j), &u, NULL);
    ok(rc == 0 && u.len == strlen(j) && memcmp(u.data, j, u.len) == 0 && !ocds_vpacked(j, strlen(j)),
       "a plain text (a row from before packing) reads unchanged");
    rc = ocds_vpack(ctl, sizeof ctl - 1, &p, NULL);
    ok(rc == 0 && p.len == sizeof ctl - 1 && memcmp(p.data, ctl, p.len) == 0,
       "a text holding a 0x01 byte, with nothing to gain, is kept as it is");
    {
        const char magic[] = "\001VP1\x45\x41\x42" "ab\001\x40xyz\001";
        int same;
        size_t plen = roundtrip(magic, sizeof magic - 1, &same);
        ok(same && plen > sizeof magic - 1, "a text that starts like a packed one is packed (escaped), not kept");
        plen = roundtrip(ctl, sizeof ctl - 1, &same);
        ok(same, "and a text holding 0x01 bytes round-trips");
    }
    bf_buf_reset(&p);
    rc = ocds_vpack(j, strlen(j), &p, NULL);
    ok(rc == 0 && p.len == strlen(j), "a text with one short prefix is not worth packing: kept (%zu bytes)", p.len);
    bf_buf_free(&p);
    bf_buf_free(&u);
}

/* A packed text of a generated record, damaged in every way we can think
 * of, and then byte by byte. */
static void test_damage(void)
{
    struct bf_buf t = BF_BUF_INIT, p = BF_BUF_INIT, u = BF_BUF_INIT;
    struct bf_err err = { 0 };
    size_t i, crashes = 0, wrong = 0, n = 0;
    int rc = 0;

    for (i = 0; !rc && i < 40; i++)
        rc = bf_buf_printf(&t, "{\"releaseDate\":\"2025-0%zu\",\"releaseID\":\"r%zu\",\"releaseTag\":[\"tender\"],"
                               "\"value\":%zu},", i % 3, i % 3, i);
    rc = rc ? rc : ocds_vpack(t.data, t.len, &p, NULL);
    ok(rc == 0 && ocds_vpacked(p.data, p.len), "packed: %zu -> %zu bytes", t.len, p.len);
    /* every truncation */
    for (i = 4; i < p.len; i++) {
        bf_buf_reset(&u);
        rc = ocds_vunpack(p.data, i, &u, &err);
        n++;
        wrong += !(rc == BF_ECORRUPT && u.len == 0);
    }
    ok(wrong == 0, "each of %zu truncations is BF_ECORRUPT with nothing written", n);
    /* every byte changed to each of a few values */
    wrong = 0;
    n = 0;
    for (i = 4; i < p.len; i++) {
        static const unsigned char vals[] = { 0x00, 0x01, 0x40, 0x5f, 0x60, 0x7f, 0xff };
        size_t k;
        for (k = 0; k < sizeof vals; k++) {
            char save = p.data[i];
            p.data[i] = (char)vals[k];
            bf_buf_reset(&u);
            rc = ocds_vunpack(p.data, p.len, &u, &err);
            n++;
            if (rc != 0 && rc != BF_ECORRUPT)
                crashes++;
            if (rc == BF_ECORRUPT && u.len != 0)
                wrong++;
            p.data[i] = save;
        }
    }
    ok(crashes == 0 && wrong == 0, "%zu single-byte changes: unpacked or BF_ECORRUPT, never half-written", n);
    /* a reference past the table */
    bf_buf_reset(&u);
    {
        struct bf_buf q = BF_BUF_INIT;
        rc = bf_buf_append(&q, "\001VP1", 4);
        rc = rc ? rc : bf_buf_append(&q, "\x45\x41\x42" "ab" "\001\x42", 8); /* 5 bytes, 1 entry "ab", ref 2 */
        rc = rc ? rc : ocds_vunpack(q.data, q.len, &u, &err);
        ok(rc == BF_ECORRUPT && strstr(err.msg, "bad reference"), "a reference past the table: %s", err.msg);
        bf_buf_free(&q);
    }
    /* a full output buffer */
    {
        struct bf_buf small;
        bf_buf_init(&small, 64);
        rc = ocds_vunpack(p.data, p.len, &small, &err);
        ok(rc == BF_ELIMIT && small.len == 0, "an output buffer too small: BF_ELIMIT, nothing written");
        bf_buf_free(&small);
    }
    bf_buf_free(&t);
    bf_buf_free(&p);
    bf_buf_free(&u);
}

int main(void)
{
    test_generated();
    test_lookalikes();
    test_many_entries();
    test_plain();
    test_damage();
    return tap_done();
}
