/*
 * fuzz_tile_path.c - libFuzzer target for tile paths: any input the parser
 * accepts must be canonical, i.e. formatting the parsed tile gives back
 * exactly the input; widths must stay within 0..256 for any level, index
 * and size derived from the input.
 */
#include "common.h"
#include "buf.h"
#include "tlog/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tlog_tile t;
    struct bf_buf b = BF_BUF_INIT;

    if (tlog_tile_parse_path((const char *)data, size, &t, NULL) == 0) {
        if (t.level < -1 || t.level > 63 || t.width < 1 || t.width > TLOG_TILE_WIDTH)
            abort();
        if (tlog_tile_format_path(&t, &b) != 0 || b.len != size || memcmp(b.data, data, size) != 0)
            abort();
    }
    if (size >= 17) {
        uint64_t n = 0, sz = 0;
        int level = (int)(int8_t)data[0], w, i;
        for (i = 0; i < 8; i++) {
            n = n << 8 | data[1 + i];
            sz = sz << 8 | data[9 + i];
        }
        w = tlog_tile_width(level, n, sz);
        if (w < 0 || w > TLOG_TILE_WIDTH)
            abort();
    }
    bf_buf_free(&b);
    return 0;
}
