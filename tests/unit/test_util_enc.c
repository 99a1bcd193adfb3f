/*
 * test_util_enc.c - bf_utf8_valid against a byte-at-a-time reference
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF):
 * the classic vectors, a bad byte at every offset of an ASCII run (the
 * validator skips ASCII eight bytes at a time, so each alignment
 * matters), and random mutations of mixed text.
 */
#include "common.h"
#include "tap.h"
#include "enc.h"

/* The reference: decode each sequence and check its range. */
static int ref_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        uint32_t cp, min;
        size_t len, k;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n - i < len)
            return 0;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

int main(void)
{
    static const struct { const char *s; int valid; } v[] = {
        { "plain ASCII", 1 },
        { "Li\xc3\xa8ge, \xe2\x82\xac 5, \xf0\x9f\x9a\x81", 1 },
        { "\xc0\xaf", 0 },              /* overlong '/' */
        { "\xe0\x80\xaf", 0 },          /* overlong, three bytes */
        { "\xed\xa0\x80", 0 },          /* surrogate U+D800 */
        { "\xf4\x90\x80\x80", 0 },      /* U+110000 */
        { "\xe2\x82", 0 },              /* cut short */
        { "\x80", 0 },                  /* lone continuation */
        { "\xff", 0 },
        { "\xef\xbf\xbf", 1 },          /* U+FFFF */
        { "\xf4\x8f\xbf\xbf", 1 },      /* U+10FFFF */
    };
    unsigned char buf[96];
    size_t i, k, n, bad = 0, runs = 0;

    for (i = 0; i < sizeof v / sizeof *v; i++)
        ok(bf_utf8_valid(v[i].s, strlen(v[i].s)) == v[i].valid, "vector %zu: %s", i, v[i].valid ? "valid" : "invalid");

    for (n = 1; n <= 40; n++) /* a bad byte at every offset of every length */
        for (k = 0; k < n; k++) {
            memset(buf, 'a', n);
            buf[k] = 0xff;
            bad += bf_utf8_valid((const char *)buf, n) != 0;
            buf[k] = 'b';
            bad += bf_utf8_valid((const char *)buf, n) != 1;
            runs += 2;
        }
    ok(bad == 0, "ASCII runs of 1..40 bytes with one bad byte anywhere: %zu of %zu wrong", bad, runs);

    bad = runs = 0;
    for (i = 0; i < 200000; i++) { /* mixed text, mutated */
        static const char *parts[] = { "abcdefgh", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x9a\x81", "12345678901", " " };
        size_t len = 0, m;
        while (len < 64) {
            const char *p = parts[rnd() % 6];
            m = strlen(p);
            memcpy(buf + len, p, m);
            len += m;
        }
        for (m = rnd() % 3; m > 0; m--)
            buf[rnd() % len] = (unsigned char)rnd();
        len -= rnd() % 4;
        bad += bf_utf8_valid((const char *)buf, len) != ref_valid(buf, len);
        runs++;
    }
    ok(bad == 0, "200 000 mutated texts agree with the reference: %zu of %zu differ", bad, runs);
    return tap_done();
}
