/*
 * ocds_export_sink.c - the byte sink under every export writer: plain,
 * gzip (zlib, RFC 1952 member) or zstd (one frame), forwarding compressed
 * bytes to a write callback in chunks of at most 64 KiB.
 *
 * Invariants: memory is one fixed output buffer plus the compressor's
 * state, whatever the volume; after any error the sink refuses further
 * writes (sticky error) so a truncated stream is never reported as
 * complete; ocds_sink_close writes the trailer (gzip CRC, zstd epilogue)
 * exactly once.
 */
#include "common.h"
#include "ocds_export.h"
#include "ocds_export_int.h"

#include <zlib.h>
#include <zstd.h>

#define SINK_CHUNK 65536

struct ocds_sink {
    enum ocds_export_compress z;
    ocds_write_fn fn;
    void *arg;
    z_stream gz;
    ZSTD_CCtx *zc;
    unsigned char *out;
    int failed;
    uint64_t bytes_in, bytes_out;
};

static int sink_emit(struct ocds_sink *s, const void *p, size_t n, struct bf_err *err)
{
    int rc;
    if (n == 0)
        return 0;
    s->bytes_out += n;
    if ((rc = s->fn(s->arg, p, n)) < 0) {
        s->failed = 1;
        return bf_err_set(err, rc, "export output failed (%s)", bf_err_name(rc));
    }
    return 0;
}

int ocds_sink_open(enum ocds_export_compress z, ocds_write_fn fn, void *arg, struct ocds_sink **out,
                   struct bf_err *err)
{
    struct ocds_sink *s = bf_xcalloc(1, sizeof *s);

    s->z = z, s->fn = fn, s->arg = arg;
    s->out = bf_xmalloc(SINK_CHUNK);
    if (z == OCDS_EXPORT_GZIP && deflateInit2(&s->gz, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(s->out), free(s);
        return bf_err_set(err, BF_ENOMEM, "cannot start gzip compression");
    }
    if (z == OCDS_EXPORT_ZSTD) {
        s->zc = ZSTD_createCCtx();
        if (!s->zc || ZSTD_isError(ZSTD_CCtx_setParameter(s->zc, ZSTD_c_compressionLevel, 3))) {
            ZSTD_freeCCtx(s->zc);
            free(s->out), free(s);
            return bf_err_set(err, BF_ENOMEM, "cannot start zstd compression");
        }
    }
    *out = s;
    return 0;
}

static int gz_run(struct ocds_sink *s, const void *p, size_t n, int flush, struct bf_err *err)
{
    int zr;
    s->gz.next_in = (Bytef *)p;
    s->gz.avail_in = (uInt)n;
    do {
        s->gz.next_out = s->out;
        s->gz.avail_out = SINK_CHUNK;
        zr = deflate(&s->gz, flush);
        if (zr == Z_STREAM_ERROR) {
            s->failed = 1;
            return bf_err_set(err, BF_EIO, "gzip compression failed");
        }
        if (sink_emit(s, s->out, SINK_CHUNK - s->gz.avail_out, err) < 0)
            return BF_EIO;
    } while (s->gz.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    return 0;
}

static int zstd_run(struct ocds_sink *s, const void *p, size_t n, ZSTD_EndDirective end, struct bf_err *err)
{
    ZSTD_inBuffer in = {p, n, 0};
    size_t left;
    do {
        ZSTD_outBuffer o = {s->out, SINK_CHUNK, 0};
        left = ZSTD_compressStream2(s->zc, &o, &in, end);
        if (ZSTD_isError(left)) {
            s->failed = 1;
            return bf_err_set(err, BF_EIO, "zstd compression failed: %s", ZSTD_getErrorName(left));
        }
        if (sink_emit(s, s->out, o.pos, err) < 0)
            return BF_EIO;
    } while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
    return 0;
}

int ocds_sink_write(struct ocds_sink *s, const void *p, size_t n, struct bf_err *err)
{
    const char *c = p;
    if (s->failed)
        return bf_err_set(err, BF_EIO, "export output already failed");
    s->bytes_in += n;
    switch (s->z) {
    case OCDS_EXPORT_GZIP:
        while (n) { /* avail_in is a uInt */
            size_t k = BF_MIN(n, (size_t)1 << 30);
            if (gz_run(s, c, k, Z_NO_FLUSH, err) < 0)
                return BF_EIO;
            c += k, n -= k;
        }
        return 0;
    case OCDS_EXPORT_ZSTD:
        return zstd_run(s, p, n, ZSTD_e_continue, err);
    default:
        return sink_emit(s, p, n, err);
    }
}

int ocds_sink_puts(struct ocds_sink *s, const char *str, struct bf_err *err)
{
    return ocds_sink_write(s, str, strlen(str), err);
}

int ocds_sink_close(struct ocds_sink *s, struct bf_err *err)
{
    int rc = 0;
    if (!s)
        return 0;
    if (s->failed)
        rc = bf_err_set(err, BF_EIO, "export output failed");
    else if (s->z == OCDS_EXPORT_GZIP)
        rc = gz_run(s, NULL, 0, Z_FINISH, err);
    else if (s->z == OCDS_EXPORT_ZSTD)
        rc = zstd_run(s, NULL, 0, ZSTD_e_end, err);
    ocds_sink_free(s);
    return rc;
}

void ocds_sink_free(struct ocds_sink *s)
{
    if (!s)
        return;
    if (s->z == OCDS_EXPORT_GZIP)
        deflateEnd(&s->gz);
    ZSTD_freeCCtx(s->zc);
    free(s->out);
    free(s);
}

int ocds_export_write_fd(void *arg, const void *data, size_t n)
{
    int fd = *(int *)arg;
    const char *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return BF_EIO;
        p += w, n -= (size_t)w;
    }
    return 0;
}

/* A write callback appending to a FILE*. */
int ocds_sink_write_file(void *arg, const void *data, size_t n)
{
    return fwrite(data, 1, n, (FILE *)arg) == n ? 0 : BF_EIO;
}
