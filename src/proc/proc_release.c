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

static int index_seg(const char **p)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return 0;
    while (*s >= '0' && *s <= '9')
        s++;
    *p = s;
    return 1;
}

int proc_value_group_member(const char *path)
{
    const char *s;
    if (!path)
        return 0;
    if (!strcmp(path, "/awards/0/value") || !strcmp(path, "/contracts/0/value"))
        return 1;
    if (!strncmp(path, "/bids/details/", 14)) {
        s = path + 14;
        return index_seg(&s) && !strcmp(s, "/value");
    }
    if (!strncmp(path, "/contracts/0/implementation/transactions/", 41)) {
        s = path + 41;
        return index_seg(&s) && !strcmp(s, "/value");
    }
    return 0;
}

void proc_value_group_init(struct proc *p)
{
    size_t i;
    json_t *e;
    json_array_foreach(p->withheld, i, e) {
        if (proc_value_group_member(json_string_value(json_object_get(e, "path")))) {
            json_t *g = json_deep_copy(e);
            json_object_del(g, "path");
            json_object_set_new(p->facts, "valueGroup", g);
            return;
        }
    }
}

static int withheld_has(const struct proc *p, const char *path)
{
    size_t i;
    json_t *e;
    json_array_foreach(p->withheld, i, e)
        if (!strcmp(json_string_value(json_object_get(e, "path")), path))
            return 1;
    return 0;
}

static void group_add(struct proc *p, const json_t *g, const char *path)
{
    json_t *e;
    if (!proc_pointer_get(p->doc, path) || withheld_has(p, path))
        return;
    e = json_deep_copy(g);
    json_object_set_new(e, "path", json_string(path));
    json_array_append_new(p->withheld, e);
}

void proc_value_group_sync(struct proc *p)
{
    const json_t *g = json_object_get(p->facts, "valueGroup");
    json_t *arr;
    char path[96];
    size_t i;

    if (!json_is_object(g))
        return;
    group_add(p, g, "/awards/0/value");
    group_add(p, g, "/contracts/0/value");
    arr = json_object_get(json_object_get(p->doc, "bids"), "details");
    for (i = 0; i < json_array_size(arr); i++) {
        snprintf(path, sizeof path, "/bids/details/%zu/value", i);
        group_add(p, g, path);
    }
    arr = json_object_get(json_object_get(json_array_get(json_object_get(p->doc, "contracts"), 0), "implementation"),
                          "transactions");
    for (i = 0; i < json_array_size(arr); i++) {
        snprintf(path, sizeof path, "/contracts/0/implementation/transactions/%zu/value", i);
        group_add(p, g, path);
    }
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
