/*
 * buf.c - bounded growable buffer (see buf.h for the invariants).
 */
#include "common.h"
#include "buf.h"

void bf_buf_init(struct bf_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void bf_buf_free(struct bf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void bf_buf_reset(struct bf_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *bf_buf_take(struct bf_buf *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    if (!p)
        p = bf_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

int bf_buf_reserve(struct bf_buf *b, size_t extra)
{
    size_t max = b->max ? b->max : BF_BUF_DEFAULT_MAX;
    size_t need, cap;

    if (extra > max || b->len > max - extra)
        return BF_ELIMIT;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = bf_xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int bf_buf_append(struct bf_buf *b, const void *p, size_t n)
{
    if (bf_buf_reserve(b, n) < 0)
        return BF_ELIMIT;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int bf_buf_puts(struct bf_buf *b, const char *s)
{
    return bf_buf_append(b, s, strlen(s));
}

int bf_buf_putc(struct bf_buf *b, char c)
{
    return bf_buf_append(b, &c, 1);
}

int bf_buf_vprintf(struct bf_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return BF_EINVAL;
    if (bf_buf_reserve(b, (size_t)n) < 0)
        return BF_ELIMIT;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int bf_buf_printf(struct bf_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = bf_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int bf_buf_json_str(struct bf_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, start = 0;

    if (bf_buf_putc(b, '"') < 0)
        return BF_ELIMIT;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t elen = 2;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (bf_buf_append(b, s + start, i - start) < 0)
            return BF_ELIMIT;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
            elen = 6;
        }
        if (bf_buf_append(b, esc, elen) < 0)
            return BF_ELIMIT;
        start = i + 1;
    }
    if (bf_buf_append(b, s + start, n - start) < 0)
        return BF_ELIMIT;
    return bf_buf_putc(b, '"');
}

int bf_buf_html(struct bf_buf *b, const char *s, size_t n)
{
    size_t i, start = 0;
    for (i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        }
        if (!rep)
            continue;
        if (bf_buf_append(b, s + start, i - start) < 0 || bf_buf_puts(b, rep) < 0)
            return BF_ELIMIT;
        start = i + 1;
    }
    return bf_buf_append(b, s + start, n - start);
}
