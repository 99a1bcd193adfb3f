/*
 * enc.c - strict base64 and hex codecs, UTF-8 validation.
 */
#include "common.h"
#include "enc.h"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t bf_b64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void bf_b64_encode(const void *in, size_t n, char *out)
{
    const unsigned char *p = in;
    size_t i, o = 0;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = B64[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

long bf_b64_decode(const char *s, size_t slen, void *out, size_t outcap)
{
    unsigned char *o = out;
    size_t i, n = 0, pad = 0;

    if (slen % 4)
        return BF_EINVAL;
    if (slen && s[slen - 1] == '=') pad++;
    if (slen > 1 && s[slen - 2] == '=') pad++;
    if (slen / 4 * 3 - pad > outcap)
        return BF_ELIMIT;
    for (i = 0; i < slen; i += 4) {
        int v[4], k;
        uint32_t w;
        for (k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s[i + k];
            if (c == '=' && i + 4 == slen && k >= 4 - (int)pad) {
                v[k] = 0;
                continue;
            }
            v[k] = b64val(c);
            if (v[k] < 0)
                return BF_EINVAL;
        }
        w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        if (i + 4 == slen && pad == 2 && (w & 0xffff))
            return BF_EINVAL; /* non-canonical trailing bits */
        if (i + 4 == slen && pad == 1 && (w & 0xff))
            return BF_EINVAL;
        o[n++] = (unsigned char)(w >> 16);
        if (!(i + 4 == slen && pad == 2))
            o[n++] = (unsigned char)(w >> 8);
        if (!(i + 4 == slen && pad >= 1))
            o[n++] = (unsigned char)w;
    }
    return (long)n;
}

void bf_hex_encode(const void *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = in;
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long bf_hex_decode(const char *s, size_t slen, void *out, size_t outcap)
{
    unsigned char *o = out;
    size_t i;
    if (slen % 2)
        return BF_EINVAL;
    if (slen / 2 > outcap)
        return BF_ELIMIT;
    for (i = 0; i < slen; i += 2) {
        int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);
        if (hi < 0 || lo < 0)
            return BF_EINVAL;
        o[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    return (long)(slen / 2);
}

int bf_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned char c = *p;
        uint32_t cp;
        int len, k;
        if (c < 0x80) {
            /* text is mostly ASCII: skip it eight bytes at a time */
            uint64_t w;
            p++;
            while (end - p >= 8 && (memcpy(&w, p, 8), !(w & 0x8080808080808080ull)))
                p += 8;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
        else return 0;
        if (end - p < len)
            return 0;
        for (k = 1; k < len; k++) {
            if ((p[k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        if (cp >= 0xd800 && cp <= 0xdfff)
            return 0;
        p += len;
    }
    return 1;
}
