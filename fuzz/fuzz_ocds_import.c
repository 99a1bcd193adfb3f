/*
 * fuzz_ocds_import.c - libFuzzer target for the importer's scanner: any
 * bytes (any encoding, nesting, layout) must yield items or rejections,
 * never a crash, a leak or a read outside the input. Each release handed
 * out is serialised to make sure it is a well-formed jansson value.
 *
 * The input is scanned twice: as is, and with OCDS_SCAN_RAW, each raw
 * line then parsed by ocds_import_parse_raw as an import worker does.
 * Both must give the same items in the same order (the importer relies
 * on a raw line meaning exactly what the scanner would have made of it);
 * a difference aborts. A raw line the jv parser takes
 * (ocds_import_parse_raw_jv, what the import's workers try first) must
 * be a release ocds_import_parse_raw accepts, with the same value.
 */
#include "common.h"
#include "buf.h"
#include "ocds/ocds_import.h"
#include "jv.h"

/* One line per item: kind, position, pointer, reason, release. */
static int on_item(void *arg, const struct ocds_import_item *it)
{
    struct bf_buf *out = arg;
    json_t *rel = it->release;
    int kind = it->kind;
    char why[640] = "";
    char *s = NULL;

    if (it->kind == OCDS_ITEM_RAW) {
        struct bf_arena a = BF_ARENA_INIT;
        const jv_t *tree = NULL;
        int took = ocds_import_parse_raw_jv(&a, it->raw, it->raw_len, &tree);
        kind = ocds_import_parse_raw(it->raw, it->raw_len, it->line, it->byte, &rel, why, sizeof why)
                   ? OCDS_ITEM_REJECT
                   : OCDS_ITEM_RELEASE;
        if (took) {
            json_t *back = jv_to_json(tree, JV_COPY_MAX_DEPTH);
            if (kind != OCDS_ITEM_RELEASE || !back || !json_equal(back, rel)) {
                fprintf(stderr, "the jv parser took a raw line the importer reads otherwise\n");
                abort();
            }
            json_decref(back);
        }
        bf_arena_free(&a);
    }
    if (rel)
        s = json_dumps(rel, JSON_COMPACT | JSON_ENCODE_ANY);
    if (bf_buf_printf(out, "%d %" PRIu64 " %" PRIu64 " %s|%s|%s\n", kind, it->line, it->byte,
                  it->pointer ? it->pointer : "", it->kind == OCDS_ITEM_RAW ? why : it->reason ? it->reason : "",
                  s ? s : "") < 0)
        abort(); /* 1 GiB of items from one input: cannot compare */
    free(s);
    if (it->kind == OCDS_ITEM_RAW)
        json_decref(rel);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bf_buf a = BF_BUF_INIT, b = BF_BUF_INIT;
    /* a small item limit exercises the streamed-package path too */
    size_t max_item = size > 64 ? size / 2 : 0;

    bf_buf_init(&a, (size_t)1 << 30);
    bf_buf_init(&b, (size_t)1 << 30);
    ocds_import_scan("fuzz", (const char *)data, size, max_item, on_item, &a);
    ocds_import_scan_flags("fuzz", (const char *)data, size, max_item, OCDS_SCAN_RAW, on_item, &b);
    if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len))) {
        fprintf(stderr, "raw lines differ from scanned ones:\n--- scanned\n%.*s--- raw\n%.*s", (int)a.len,
                a.data ? a.data : "", (int)b.len, b.data ? b.data : "");
        abort();
    }
    bf_buf_free(&a);
    bf_buf_free(&b);
    return 0;
}
