/*
 * fuzz_ocds_vpack.c - libFuzzer target for the packed versioned release
 * (ocds_vpack / ocds_vunpack). A record row is read back from the store,
 * which a damaged disk or a hand-edited database can make anything.
 *
 * Checked: any input packs and unpacks back to itself, byte for byte, and
 * ocds_vunpacked_len of the packed form is the input's length; any input
 * given to ocds_vunpack directly either unpacks or is BF_ECORRUPT with
 * the output buffer left as it was.
 */
#include "common.h"
#include "buf.h"
#include "ocds/ocds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bf_buf p = BF_BUF_INIT, u = BF_BUF_INIT;
    const char *d = (const char *)data;
    int rc;

    if (ocds_vpack(d, size, &p, NULL) != 0)
        abort();
    if (ocds_vunpack(p.data ? p.data : "", p.len, &u, NULL) != 0 || u.len != size ||
        (size && memcmp(u.data, d, size) != 0) || ocds_vunpacked_len(p.data ? p.data : "", p.len) != size)
        abort();
    bf_buf_free(&u);
    rc = bf_buf_append(&u, "x", 1);
    rc = rc ? rc : ocds_vunpack(d, size, &u, NULL);
    if (rc != 0 && !(rc == BF_ECORRUPT && u.len == 1))
        abort();
    bf_buf_free(&p);
    bf_buf_free(&u);
    return 0;
}
