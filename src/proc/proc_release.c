/*
 * proc_release.c - the OCDS release of a step: a full snapshot of the
 * procedure's content (so the compiled release equals the latest one and
 * no step depends on merge subtleties) with ocid, a deterministic id
 * "<ocid>-<seq>-<tag>", the act's date, tags, and the withheld
 * declarations that apply to fields present in this release.
 *
 * Invariant: a withheld value is present in the release built here (it is
 * the officer's private input); ocds_publish replaces it with its marker
 * before anything reaches the log or a public table. Withheld entries
 * whose path is absent from this release are left out, since ocds_withhold
 * cannot commit to a value that does not exist yet.
 */
#include "common.h"
#include "proc/proc_int.h"

/* RFC 6901 reference token decoding ("~1" -> "/", "~0" -> "~") into out. */
static int pointer_token(const char *s, size_t n, char *out, size_t cap)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '~') {
            if (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1'))
                return -1;
            c = s[++i] == '0' ? '~' : '/';
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

static int array_index(const char *tok, size_t *idx)
{
    char *end;
    unsigned long v;
    if (!*tok || (tok[0] == '0' && tok[1]) || tok[0] < '0' || tok[0] > '9')
        return -1;
    errno = 0;
    v = strtoul(tok, &end, 10);
    if (*end || errno || v > 1000000)
        return -1;
    *idx = (size_t)v;
    return 0;
}

json_t *proc_pointer_get(const json_t *v, const char *ptr)
{
    char tok[256];
    const char *p = ptr, *next;
    size_t idx;

    if (!ptr || (*ptr && *ptr != '/'))
        return NULL;
    while (v && *p == '/') {
        p++;
        next = strchr(p, '/');
        if (!next)
            next = p + strlen(p);
        if (pointer_token(p, (size_t)(next - p), tok, sizeof tok) < 0)
            return NULL;
        if (json_is_object(v))
            v = json_object_get(v, tok);
        else if (json_is_array(v) && array_index(tok, &idx) == 0)
            v = json_array_get(v, idx);
        else
            return NULL;
        p = next;
    }
    return (json_t *)v;
}

int proc_pointer_withholdable(const char *ptr)
{
    static const char *const roots[] = { "/tender/", "/awards/", "/contracts/", "/bids/", "/planning/" };
    char tok[256];
    const char *p, *next;
    size_t i, n;
    int ok = 0;

    if (!ptr || strlen(ptr) > 200)
        return 0;
    for (i = 0; i < BF_ARRAY_LEN(roots); i++)
        if (!strncmp(ptr, roots[i], strlen(roots[i])))
            ok = 1;
    if (!ok)
        return 0;
    for (p = ptr; *p == '/';) {
        p++;
        next = strchr(p, '/');
        n = next ? (size_t)(next - p) : strlen(p);
        if (n == 0 || pointer_token(p, n, tok, sizeof tok) < 0)
            return 0;
        /* ids and statuses are what make a release mergeable and readable */
        if (!next && (!strcmp(tok, "id") || !strcmp(tok, "status") || !strcmp(tok, "awardID")))
            return 0;
        p += n;
    }
    return 1;
}

json_t *proc_release_build(const struct proc *p, const char *date, const char *tag, const char *tag2,
                           const json_t *disclosed)
{
    json_t *r = json_deep_copy(p->doc), *wh = json_array(), *e;
    char id[PROC_OCID_MAX + 48];
    size_t i;

    snprintf(id, sizeof id, "%s-%03d-%s", p->ocid, p->seq, tag);
    json_object_set_new(r, "ocid", json_string(p->ocid));
    json_object_set_new(r, "id", json_string(id));
    json_object_set_new(r, "date", json_string(date));
    json_object_set_new(r, "tag", tag2 ? json_pack("[s,s]", tag, tag2) : json_pack("[s]", tag));
    json_object_set_new(r, "initiationType", json_string("tender"));
    json_object_set_new(r, "language", json_string("en"));
    json_array_foreach(p->withheld, i, e)
        if (proc_pointer_get(r, json_string_value(json_object_get(e, "path"))))
            json_array_append(wh, e);
    json_array_foreach(disclosed, i, e)
        json_array_append(wh, e);
    if (json_array_size(wh))
        json_object_set_new(r, "withheld", wh);
    else
        json_decref(wh);
    return r;
}
