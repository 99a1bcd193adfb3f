/*
 * buf.h - growable byte buffer with a ceiling (curl's dynbuf, git's strbuf).
 *
 * Invariants: data is NUL-terminated whenever data != NULL (so text can be
 * used as a C string); len never exceeds max. An append that would exceed
 * max fails with BF_ELIMIT and leaves the buffer unchanged, so a bounded
 * response or input can never grow without limit.
 *
 * Ownership: the buffer owns data. bf_buf_free releases it; bf_buf_take
 * hands it to the caller (who frees it with free()) and resets the buffer.
 */
#ifndef BELFRY_BUF_H
#define BELFRY_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bf_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* 0 means BF_BUF_DEFAULT_MAX */
};

#define BF_BUF_DEFAULT_MAX ((size_t)1 << 30)
#define BF_BUF_INIT { NULL, 0, 0, 0 }

void bf_buf_init(struct bf_buf *b, size_t max);
void bf_buf_free(struct bf_buf *b);
void bf_buf_reset(struct bf_buf *b); /* len = 0, keeps memory */
char *bf_buf_take(struct bf_buf *b, size_t *len);

int bf_buf_reserve(struct bf_buf *b, size_t extra) __attribute__((warn_unused_result));
int bf_buf_append(struct bf_buf *b, const void *p, size_t n) __attribute__((warn_unused_result));
int bf_buf_puts(struct bf_buf *b, const char *s) __attribute__((warn_unused_result));
int bf_buf_putc(struct bf_buf *b, char c) __attribute__((warn_unused_result));
int bf_buf_printf(struct bf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), warn_unused_result));
int bf_buf_vprintf(struct bf_buf *b, const char *fmt, va_list ap) __attribute__((warn_unused_result));

/* 1 when n more bytes (and the NUL) fit without growing or passing max. */
static inline int bf_buf_room(const struct bf_buf *b, size_t n)
{
    return b->len + n + 1 <= b->cap && b->len + n <= (b->max ? b->max : BF_BUF_DEFAULT_MAX);
}

/* bf_buf_append and bf_buf_putc inlined for hot loops (the JCS writers):
 * a copy when the buffer has room, else the bounded functions above. */
static inline int bf_buf_append_fast(struct bf_buf *b, const void *p, size_t n)
{
    if (bf_buf_room(b, n)) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
    }
    return bf_buf_append(b, p, n);
}

static inline int bf_buf_putc_fast(struct bf_buf *b, char c)
{
    if (bf_buf_room(b, 1)) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return 0;
    }
    return bf_buf_putc(b, c);
}

/* JSON string literal of s[0..n) with quotes, RFC 8785 escaping (only ",
 * \, and control characters are escaped; \b \f \n \r \t short forms; other
 * controls as \u00xx lower-case). s must be valid UTF-8. */
int bf_buf_json_str(struct bf_buf *b, const char *s, size_t n) __attribute__((warn_unused_result));

/* HTML-escaped text (& < > " '). */
int bf_buf_html(struct bf_buf *b, const char *s, size_t n) __attribute__((warn_unused_result));

#endif
