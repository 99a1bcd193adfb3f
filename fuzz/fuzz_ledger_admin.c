/*
 * fuzz_ledger_admin.c - libFuzzer target for the admin socket's request
 * reader (what `belfry log append` sends a running server): arbitrary
 * bytes go through a pipe into ledger_admin_read_request, request after
 * request until EOF or a protocol error. Every accepted request must have
 * 1..LEDGER_ADMIN_MAX_BATCH items of at most TLOG_MAX_ENTRY + 1 bytes
 * whose bytes are exactly those of the input, in order; a request count
 * of 0 starts a command (ledger_admin_read_command), whose arguments,
 * each with its NUL, must be exactly the input's bytes, at most
 * LEDGER_ADMIN_MAX_ARGS of them, the first not empty.
 */
#include "common.h"
#include "ledger/ledger.h"
#include "ledger/ledger_int.h"

#include <fcntl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int p[2];
    size_t pos = 4;

    if (size > 60000 || pipe(p) < 0) /* fits the pipe buffer: no writer thread */
        return 0;
    if (write(p[1], data, size) != (ssize_t)size)
        abort();
    close(p[1]);
    for (;;) {
        struct ledger_item *it = NULL;
        size_t n = 0, i;
        int r = ledger_admin_read_request(p[0], &it, &n);
        if (r == LEDGER_ADMIN_IS_COMMAND) {
            int argc = 0, k;
            char **argv = NULL;
            size_t at;
            if (ledger_admin_read_command(p[0], &argc, &argv) < 0)
                break;
            if (argc < 1 || argc > LEDGER_ADMIN_MAX_ARGS || !argv[0][0] || argv[argc] != NULL)
                abort();
            at = pos + 4; /* past the count, the length */
            for (k = 0; k < argc; k++) {
                size_t l = strlen(argv[k]) + 1;
                if (at + l > size || memcmp(argv[k], data + at, l) != 0)
                    abort();
                at += l;
            }
            if (at - (pos + 4) > LEDGER_ADMIN_MAX_CMDLEN)
                abort();
            pos = at + 4; /* next request's count */
            free(argv);
            continue;
        }
        if (r < 0 || n == 0)
            break;
        if (n > LEDGER_ADMIN_MAX_BATCH)
            abort();
        for (i = 0; i < n; i++) {
            if (it[i].len > TLOG_MAX_ENTRY + 1 || pos + 4 + it[i].len > size)
                abort();
            if (it[i].len && memcmp(it[i].entry, data + pos + 4, it[i].len) != 0)
                abort();
            pos += 4 + it[i].len;
        }
        pos += 4; /* next request's count */
        ledger_admin_free_request(it, n);
    }
    close(p[0]);
    return 0;
}
