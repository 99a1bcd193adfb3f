/*
 * fuzz_note.c - libFuzzer target for signed notes and checkpoints: the
 * input is parsed as a note, its text as a checkpoint, and the note is
 * verified with a fixed log key and a fixed witness key (both derived from
 * published seeds, so corpus files can carry valid signatures). The input
 * is also tried as a verifier key and a private key; a key that parses
 * must format back to the same bytes.
 */
#include "common.h"
#include "buf.h"
#include "tlog/tlog.h"
#include "fuzz_util.h"

static struct tlog_note note;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct tlog_checkpoint cp;
    struct tlog_vkey vk;
    struct tlog_skey sk;
    struct bf_buf b = BF_BUF_INIT;
    uint64_t times[2];
    const struct tlog_vkey *keys = fuzz_keys();

    if (tlog_note_parse(s, size, &note, NULL) == 0) {
        int i;
        if (note.text_len == 0 || note.text_len > size || note.text[note.text_len - 1] != '\n' || note.nsig < 1)
            abort();
        for (i = 0; i < note.nsig; i++)
            if (note.sigs[i].name_len == 0 || note.sigs[i].name + note.sigs[i].name_len > s + size)
                abort();
        (void)tlog_note_verify(&note, keys, 2, times, NULL);
        if (tlog_checkpoint_parse(note.text, note.text_len, &cp, NULL) == 0) {
            /* A parsed checkpoint without extensions formats back verbatim. */
            if (cp.ext == NULL) {
                if (tlog_checkpoint_format(cp.origin, cp.size, &cp.root, &b) != 0 || b.len != note.text_len ||
                    memcmp(b.data, note.text, b.len) != 0)
                    abort();
            }
        }
    }
    /* The text alone, as a checkpoint body. */
    (void)tlog_checkpoint_parse(s, size, &cp, NULL);

    bf_buf_reset(&b);
    if (tlog_vkey_parse(s, size, &vk, NULL) == 0) {
        if (tlog_vkey_format(&vk, &b) != 0 || b.len != size || memcmp(b.data, s, size) != 0) {
            /* Hex IDs may be upper case on input; compare case-insensitively. */
            if (b.len != size || strncasecmp(b.data, s, size) != 0)
                abort();
        }
    }
    bf_buf_reset(&b);
    if (tlog_skey_parse(s, size, &sk, NULL) == 0) {
        if (tlog_skey_format(&sk, &b) != 0 || b.len != size || strncasecmp(b.data, s, size) != 0)
            abort();
    }
    bf_buf_free(&b);
    return 0;
}
