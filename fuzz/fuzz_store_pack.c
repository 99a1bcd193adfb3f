/*
 * fuzz_store_pack.c - libFuzzer target for the packed form of stored
 * values (store_pack_int.h). A row is read back from the store, which a
 * damaged disk or a hand-edited database can make anything.
 *
 * Checked: the input as a stored value either is plain (no prefix),
 * damaged (BF_ECORRUPT / BF_ELIMIT with a message, the output left
 * empty), or unpacks to exactly its declared length, NUL-terminated
 * (ASan: never outside the input, the dictionary or the output); and the
 * input as a text packs and unpacks back to itself byte for byte. The
 * dictionary is a fixed text (the seeds were packed against it, see
 * fuzz/corpus/fuzz_store_pack/README).
 */
#include "common.h"
#include "buf.h"
#include "store/store_pack_int.h"

static const char dict[] =
    "{\"ocid\":\"ocds-b3lfry-MR-2024-00001\",\"id\":\"ocds-b3lfry-MR-2024-00001-01-tender\","
    "\"date\":\"2024-03-01T10:00:00Z\",\"tag\":[\"tender\"],\"initiationType\":\"tender\","
    "\"buyer\":{\"id\":\"BE-BCE_KBO-0308357159-MR\",\"name\":\"Defence\"},"
    "\"tender\":{\"id\":\"T-1\",\"status\":\"active\",\"procurementMethod\":\"selective\","
    "\"value\":{\"amount\":1250000,\"currency\":\"EUR\"}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static LZ4_stream_t base;
    static int ready;
    struct bf_buf out = BF_BUF_INIT, back = BF_BUF_INIT;
    struct bf_err err = { 0 };
    uint32_t id = 0;
    uint64_t len = 0;
    size_t hlen = 0;
    int rc;

    if (!ready) {
        LZ4_initStream(&base, sizeof base);
        LZ4_loadDict(&base, dict, (int)sizeof dict - 1);
        ready = 1;
    }
    rc = store_pack_header(data, size, &id, &len, &hlen);
    if (rc == 1) {
        if (id == 0 || hlen < 4 || hlen > size)
            abort();
        out.max = (size_t)1 << 24;
        rc = store_pack_decode(dict, sizeof dict - 1, data, size, hlen, len, &out, &err);
        if (rc == 0 && (out.len != len || out.data[out.len]))
            abort();
        if (rc != 0 && ((rc != BF_ECORRUPT && rc != BF_ELIMIT) || !err.msg[0] || (out.data && out.data[0])))
            abort();
    } else if (rc != 0 && rc != BF_ECORRUPT) {
        abort();
    }
    bf_buf_free(&out);

    if (store_pack_encode(&base, 1 + size % 1000, (const char *)data, size, &out) == 1) {
        if (store_pack_header(out.data, out.len, &id, &len, &hlen) != 1 || id != 1 + size % 1000 || len != size ||
            store_pack_decode(dict, sizeof dict - 1, out.data, out.len, hlen, len, &back, &err) != 0 ||
            back.len != size || (size && memcmp(back.data, data, size)))
            abort();
    }
    bf_buf_free(&out);
    bf_buf_free(&back);
    return 0;
}
