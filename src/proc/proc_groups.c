/*
 * proc_groups.c - linked withheld fields: values that tell each other.
 *
 * A withheld award value would be told by the winning bid's value, the
 * contract value and the payments; a withheld winner (eForms "win-cho")
 * by the award's supplier, its related bid, the payees of the payments
 * and the "supplier" role in the parties list. Each such family
 * is a group (data below). When the officer declares any member withheld,
 * the group is active: every member that exists is withheld with the same
 * reason and disclosure date (proc_groups_sync adds the entries as steps
 * create the fields), and disclosing one member discloses the whole
 * group. Withheld members are whole objects (the OCDS core withholds
 * objects only, so public releases keep their types); what is not an
 * object is left out while the group is active and added at disclosure:
 * the award's relatedBid and the winner's "supplier" role in the parties
 * list (see proc_steps_contract.c).
 *
 * Invariant: a public release never shows a value or identity of an
 * active group, whichever member the officer named.
 */
#include "common.h"
#include "proc/proc_int.h"

/* A member "<prefix><n><suffix>" for each element n of the array at
 * array_ptr, or a fixed path when array_ptr is NULL. */
struct member {
    const char *array_ptr, *prefix, *suffix;
};

static const struct member VALUE_MEMBERS[] = {
    { NULL, "/awards/0/value", "" },
    { NULL, "/contracts/0/value", "" },
    { "/bids/details", "/bids/details/", "/value" },
    { "/contracts/0/implementation/transactions", "/contracts/0/implementation/transactions/", "/value" },
    { NULL, NULL, NULL },
};
static const struct member WINNER_MEMBERS[] = {
    { NULL, "/awards/0/suppliers/0", "" },
    { "/contracts/0/implementation/transactions", "/contracts/0/implementation/transactions/", "/payee" },
    { NULL, NULL, NULL },
};

static const struct {
    const char *name;
    const struct member *members;
} GROUPS[] = {
    { "value", VALUE_MEMBERS },
    { "winner", WINNER_MEMBERS },
};

static int is_member(const struct member *m, const char *path)
{
    size_t pl, sl, n;
    const char *s;

    if (!m->array_ptr)
        return !strcmp(path, m->prefix);
    pl = strlen(m->prefix);
    sl = strlen(m->suffix);
    n = strlen(path);
    if (n <= pl + sl || strncmp(path, m->prefix, pl) || strcmp(path + n - sl, m->suffix))
        return 0;
    for (s = path + pl; s < path + n - sl; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return path[pl] != '0' || path + pl + 1 == path + n - sl; /* no leading zeros */
}

const char *proc_group_path(const char *path)
{
    return path && !strcmp(path, "/awards/0/suppliers") ? "/awards/0/suppliers/0" : path;
}

const char *proc_group_of(const char *path)
{
    size_t g;
    const struct member *m;

    for (g = 0; path && g < BF_ARRAY_LEN(GROUPS); g++)
        for (m = GROUPS[g].members; m->prefix; m++)
            if (is_member(m, path))
                return GROUPS[g].name;
    return NULL;
}

int proc_group_active(const struct proc *p, const char *name)
{
    return json_is_object(json_object_get(json_object_get(p->facts, "groups"), name));
}

void proc_groups_init(struct proc *p)
{
    json_t *groups = proc_jobj(p->facts, "groups"), *e;
    const char *g;
    size_t i;

    json_array_foreach(p->withheld, i, e) {
        g = proc_group_of(json_string_value(json_object_get(e, "path")));
        if (g && !json_object_get(groups, g)) {
            json_t *decl = json_deep_copy(e);
            json_object_del(decl, "path");
            json_object_set_new(groups, g, decl);
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

static void add_member(struct proc *p, const json_t *decl, const char *path)
{
    json_t *e;
    if (!proc_pointer_get(p->doc, path) || withheld_has(p, path))
        return;
    e = json_deep_copy(decl);
    json_object_set_new(e, "path", json_string(path));
    json_array_append_new(p->withheld, e);
}

void proc_groups_sync(struct proc *p)
{
    const json_t *groups = json_object_get(p->facts, "groups"), *decl;
    const struct member *m;
    char path[160];
    size_t g, i, n;

    for (g = 0; g < BF_ARRAY_LEN(GROUPS); g++) {
        decl = json_object_get(groups, GROUPS[g].name);
        if (!json_is_object(decl))
            continue;
        for (m = GROUPS[g].members; m->prefix; m++) {
            if (!m->array_ptr) {
                add_member(p, decl, m->prefix);
                continue;
            }
            n = json_array_size(proc_pointer_get(p->doc, m->array_ptr));
            for (i = 0; i < n; i++) {
                snprintf(path, sizeof path, "%s%zu%s", m->prefix, i, m->suffix);
                add_member(p, decl, path);
            }
        }
    }
}

json_t *proc_groups_expand(struct proc *p, const json_t *paths, int *winner_disclosed)
{
    json_t *out = json_deep_copy(paths), *groups = json_object_get(p->facts, "groups"), *e, *q;
    const char *g, *path;
    size_t i, j;
    int dup;

    *winner_disclosed = 0;
    json_array_foreach(paths, i, q) {
        g = proc_group_of(json_string_value(q));
        if (!g || !json_object_get(groups, g))
            continue;
        json_array_foreach(p->withheld, j, e) {
            path = json_string_value(json_object_get(e, "path"));
            if (!proc_group_of(path) || strcmp(proc_group_of(path), g))
                continue;
            dup = 0;
            {
                size_t k;
                json_t *x;
                json_array_foreach(out, k, x)
                    dup |= !strcmp(json_string_value(x), path);
            }
            if (!dup)
                json_array_append_new(out, json_string(path));
        }
        *winner_disclosed |= !strcmp(g, "winner");
        json_object_del(groups, g); /* disclosed: later members are public */
    }
    return out;
}
