/*
 * portal_extract.c - from a public compiled release to the one-row summary
 * the portal searches and aggregates: title, buyer, suppliers (with what
 * each was awarded), procedure type, capability area, CPV codes, value,
 * stage and dates.
 *
 * Invariants: the summary is a pure function of the compiled release; a
 * withheld marker is never read as a value (the amount is then unknown and
 * the withheld count says why); amounts of different currencies are never
 * added (the first currency wins, others are ignored for the total).
 */
#include "common.h"
#include "buf.h"
#include "portal.h"

#define MAX_PARTIES 256
#define MAX_CPVS 32
#define MAX_DEPTH 64

/* Candidate locations of the defence extension's fields (ext/defence). */
static const char *const procedure_paths[] = {
    "tender/defence/procedure", "defence/procedure", "tender/defenceProcedure", "tender/procedureType",
};
static const char *const capability_paths[] = {
    "tender/defence/capabilityArea", "defence/capabilityArea", "planning/defence/capabilityArea",
    "tender/capabilityArea",
};

struct ex {
    struct bf_arena *arena;
    struct store_portal_proc *p;
    struct store_portal_party *parties;
    const char **cpvs;
    const char *currency;
    double sum;
    int nsum;
};

/* Walks a "/"-separated path of object members. */
static const json_t *jpath(const json_t *o, const char *path)
{
    char key[64];
    const char *s = path;
    while (o && *s) {
        size_t n = strcspn(s, "/");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, s, n);
        key[n] = 0;
        o = json_is_object(o) ? json_object_get(o, key) : NULL;
        s += n + (s[n] == '/');
    }
    return o;
}

static const char *jstr(const json_t *o, const char *path)
{
    const json_t *v = jpath(o, path);
    return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

int portal_is_withheld(const json_t *v)
{
    return json_is_object(v) && json_is_true(json_object_get(v, "withheld"));
}

static int count_withheld(const json_t *v, int depth)
{
    const char *k;
    json_t *x;
    size_t i;
    int n = 0;

    if (depth > MAX_DEPTH)
        return 0;
    if (portal_is_withheld(v))
        return 1;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, k, x) n += count_withheld(x, depth + 1);
    else if (json_is_array(v))
        json_array_foreach(v, i, x) n += count_withheld(x, depth + 1);
    return n;
}

/* Adds value {amount, currency} to the running sum; 1 if it was usable,
 * -1 if withheld, 0 if absent. */
static int add_value(struct ex *e, const json_t *value)
{
    const json_t *amount = json_object_get(value, "amount");
    const char *cur = jstr(value, "currency");

    if (portal_is_withheld(value) || portal_is_withheld(amount))
        return -1;
    if (!json_is_number(amount))
        return 0;
    if (!cur)
        cur = "EUR";
    if (!e->currency)
        e->currency = cur;
    if (strcmp(cur, e->currency) != 0)
        return 0;
    e->sum += json_number_value(amount);
    e->nsum++;
    return 1;
}

static int status_inactive(const json_t *o)
{
    const char *s = jstr(o, "status");
    return s && (!strcmp(s, "cancelled") || !strcmp(s, "unsuccessful"));
}

static void add_party(struct ex *e, const char *id, const char *name, const char *role, const json_t *value)
{
    struct store_portal_party *y;
    const json_t *amount = value ? json_object_get(value, "amount") : NULL;

    if (!id || e->p->nparties >= MAX_PARTIES)
        return;
    y = &e->parties[e->p->nparties++];
    y->org_id = id;
    y->name = name;
    y->role = role;
    y->has_amount = json_is_number(amount) && !portal_is_withheld(value);
    y->amount = y->has_amount ? json_number_value(amount) : 0;
}

/* Awards and contracts decide the amount; awards give the suppliers. */
static void extract_money(struct ex *e, const json_t *rel)
{
    struct store_portal_proc *p = e->p;
    const json_t *x, *contracts = json_object_get(rel, "contracts"), *awards = json_object_get(rel, "awards");
    size_t i, j;
    int w;

    json_array_foreach(contracts, i, x) if (!status_inactive(x) && add_value(e, json_object_get(x, "value")) > 0)
        p->amount_kind = "contract";
    json_array_foreach(awards, i, x) {
        const json_t *sup;
        if (status_inactive(x))
            continue;
        json_array_foreach(json_object_get(x, "suppliers"), j, sup)
            add_party(e, jstr(sup, "id"), jstr(sup, "name"), "supplier", json_object_get(x, "value"));
        if (!p->amount_kind && add_value(e, json_object_get(x, "value")) > 0)
            p->amount_kind = "award";
    }
    if (p->amount_kind)
        goto done;
    w = add_value(e, jpath(rel, "tender/value"));
    if (w > 0)
        p->amount_kind = "tender";
    else if (w == 0 && add_value(e, jpath(rel, "planning/budget/amount")) > 0)
        p->amount_kind = "planning";
done:
    p->has_amount = p->amount_kind != NULL;
    p->amount = e->sum;
    p->currency = p->has_amount ? e->currency : NULL;
}

static void extract_parties(struct ex *e, const json_t *rel)
{
    struct store_portal_proc *p = e->p;
    const json_t *party, *role;
    size_t i, j;

    p->buyer_id = jstr(rel, "buyer/id");
    p->buyer_name = jstr(rel, "buyer/name");
    json_array_foreach(json_object_get(rel, "parties"), i, party) {
        json_array_foreach(json_object_get(party, "roles"), j, role) {
            const char *r = json_string_value(role);
            if (!r)
                continue;
            if (!strcmp(r, "buyer") && !p->buyer_id) {
                p->buyer_id = jstr(party, "id");
                p->buyer_name = jstr(party, "name");
            } else if (!strcmp(r, "tenderer")) {
                add_party(e, jstr(party, "id"), jstr(party, "name"), "tenderer", NULL);
            }
        }
    }
    if (p->buyer_id && !p->buyer_name)
        p->buyer_name = p->buyer_id;
}

static void add_cpv(struct ex *e, const json_t *cls)
{
    const char *scheme = jstr(cls, "scheme"), *id = jstr(cls, "id");
    int i;
    if (!scheme || strcasecmp(scheme, "CPV") != 0 || !id || e->p->ncpvs >= MAX_CPVS)
        return;
    for (i = 0; i < e->p->ncpvs; i++)
        if (!strcmp(e->cpvs[i], id))
            return;
    e->cpvs[e->p->ncpvs++] = id;
}

static void extract_cpv(struct ex *e, const json_t *rel)
{
    const char *lists[] = { "tender/items", "planning/items" };
    const json_t *item, *cls;
    size_t i, j, k;

    for (k = 0; k < BF_ARRAY_LEN(lists); k++) {
        json_array_foreach(jpath(rel, lists[k]), i, item) {
            add_cpv(e, json_object_get(item, "classification"));
            json_array_foreach(json_object_get(item, "additionalClassifications"), j, cls) add_cpv(e, cls);
        }
    }
    json_array_foreach(json_object_get(rel, "awards"), i, cls) {
        json_array_foreach(json_object_get(cls, "items"), j, item) add_cpv(e, json_object_get(item, "classification"));
    }
    e->p->cpv = e->p->ncpvs ? e->cpvs[0] : NULL;
}

/* The furthest stage the procedure has reached. */
static const char *stage(const json_t *rel)
{
    const json_t *x, *contracts = json_object_get(rel, "contracts");
    const char *ts = jstr(rel, "tender/status");
    size_t i;
    int terminated = 0, impl = 0, active = 0;

    json_array_foreach(contracts, i, x) {
        const char *s = jstr(x, "status");
        if (s && !strcmp(s, "terminated"))
            terminated++;
        if (json_array_size(jpath(x, "implementation/transactions")) || json_array_size(jpath(x, "implementation/milestones")))
            impl++;
        if (!status_inactive(x))
            active++;
    }
    /* OCDS "terminated": no longer in force, completed or ended early;
     * the compiled release cannot tell which, so the stage says "closed". */
    if (contracts && terminated && terminated == (int)json_array_size(contracts))
        return "closed";
    if (impl)
        return "implementation";
    if (active)
        return "contract";
    json_array_foreach(json_object_get(rel, "awards"), i, x) if (!status_inactive(x)) return "award";
    if (ts && (!strcmp(ts, "cancelled") || !strcmp(ts, "unsuccessful") || !strcmp(ts, "withdrawn")))
        return "cancelled";
    if (ts && !strcmp(ts, "complete"))
        return "complete";
    if (json_object_get(rel, "tender") && (!ts || (strcmp(ts, "planning") != 0 && strcmp(ts, "planned") != 0)))
        return "tender";
    return "planning";
}

static int year_of(const char *d)
{
    int y = 0, i;
    if (!d)
        return 0;
    for (i = 0; i < 4; i++) {
        if (d[i] < '0' || d[i] > '9')
            return 0;
        y = y * 10 + (d[i] - '0');
    }
    return y;
}

static void extract_dates(struct store_portal_proc *p, const json_t *rel)
{
    const json_t *x;
    const char *first = NULL;
    size_t i;

    p->date = jstr(rel, "date");
    p->start_date = jstr(rel, "tender/tenderPeriod/startDate");
    if (!p->start_date)
        p->start_date = p->date;
    json_array_foreach(json_object_get(rel, "contracts"), i, x) if (!first) first = jstr(x, "dateSigned");
    json_array_foreach(json_object_get(rel, "awards"), i, x) if (!first) first = jstr(x, "date");
    p->year = year_of(first ? first : p->start_date);
}

/* Lower-case letters of s only, for matching codes spelled in any style. */
static int code_has(const char *s, const char *needle)
{
    char norm[96];
    size_t n = 0;
    for (; s && *s && n + 1 < sizeof norm; s++)
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
            norm[n++] = (char)(*s | 0x20);
    norm[n] = 0;
    return strstr(norm, needle) != NULL;
}

static void extract_procedure(struct store_portal_proc *p, const json_t *rel)
{
    const json_t *n;
    size_t i;

    for (i = 0; i < BF_ARRAY_LEN(procedure_paths) && !p->procedure; i++)
        p->procedure = jstr(rel, procedure_paths[i]);
    for (i = 0; i < BF_ARRAY_LEN(capability_paths) && !p->capability; i++)
        p->capability = jstr(rel, capability_paths[i]);
    p->method = jstr(rel, "tender/procurementMethod");
    if (!p->procedure)
        p->procedure = p->method;
    p->noncompetitive = (p->method && (!strcmp(p->method, "limited") || !strcmp(p->method, "direct"))) ||
                        (p->procedure && code_has(p->procedure, "withoutpublication"));
    n = jpath(rel, "tender/numberOfTenderers");
    if (json_is_integer(n))
        p->tenderers = (int)json_integer_value(n);
    else if (json_is_array(jpath(rel, "bids/details")))
        p->tenderers = (int)json_array_size(jpath(rel, "bids/details"));
    else if (json_is_array(jpath(rel, "tender/tenderers")))
        p->tenderers = (int)json_array_size(jpath(rel, "tender/tenderers"));
}

/* suppliers_json: unique suppliers as [{"id","name"}]; suppliers_text:
 * their names for full-text search. */
static int supplier_lists(struct ex *e)
{
    struct store_portal_proc *p = e->p;
    struct bf_buf js = BF_BUF_INIT, tx = BF_BUF_INIT;
    int i, j, rc = 0, n = 0;

    bf_buf_init(&js, 1 << 20);
    bf_buf_init(&tx, 1 << 20);
    rc |= bf_buf_putc(&js, '[') | bf_buf_puts(&tx, "");
    for (i = 0; i < p->nparties; i++) {
        const struct store_portal_party *y = &e->parties[i];
        if (strcmp(y->role, "supplier") != 0)
            continue;
        for (j = 0; j < i; j++)
            if (!strcmp(e->parties[j].role, "supplier") && !strcmp(e->parties[j].org_id, y->org_id))
                break;
        if (j < i)
            continue;
        rc |= bf_buf_puts(&js, n++ ? ",{\"id\":" : "{\"id\":");
        rc |= bf_buf_json_str(&js, y->org_id, strlen(y->org_id));
        rc |= bf_buf_puts(&js, ",\"name\":");
        rc |= y->name ? bf_buf_json_str(&js, y->name, strlen(y->name)) : bf_buf_puts(&js, "null");
        rc |= bf_buf_putc(&js, '}');
        if (y->name)
            rc |= bf_buf_puts(&tx, y->name) | bf_buf_putc(&tx, '\n');
    }
    rc |= bf_buf_putc(&js, ']');
    if (!rc) {
        p->suppliers_json = bf_arena_strndup(e->arena, js.data, js.len);
        p->suppliers_text = bf_arena_strndup(e->arena, tx.data, tx.len);
    }
    bf_buf_free(&js);
    bf_buf_free(&tx);
    return rc ? BF_ELIMIT : 0;
}

static void add_buyer_party(struct ex *e)
{
    struct store_portal_proc *p = e->p;
    struct store_portal_party *y;
    int awarded = p->amount_kind && (!strcmp(p->amount_kind, "contract") || !strcmp(p->amount_kind, "award"));

    if (!p->buyer_id || p->nparties >= MAX_PARTIES)
        return;
    y = &e->parties[p->nparties++];
    y->org_id = p->buyer_id;
    y->name = p->buyer_name;
    y->role = "buyer";
    y->has_amount = awarded;
    y->amount = awarded ? p->amount : 0;
}

int portal_extract(const json_t *compiled, struct bf_arena *arena, struct store_portal_proc *p, struct bf_err *err)
{
    struct ex e = { 0 };
    int rc;

    memset(p, 0, sizeof *p);
    if (!json_is_object(compiled) || !jstr(compiled, "ocid"))
        return bf_err_set(err, BF_EINVAL, "compiled release without an ocid");
    e.arena = arena;
    e.p = p;
    e.parties = bf_arena_zalloc(arena, MAX_PARTIES * sizeof *e.parties);
    e.cpvs = bf_arena_zalloc(arena, MAX_CPVS * sizeof *e.cpvs);
    p->parties = e.parties;
    p->cpvs = e.cpvs;
    p->ocid = jstr(compiled, "ocid");
    p->title = jstr(compiled, "tender/title");
    if (!p->title)
        p->title = jstr(compiled, "planning/project");
    p->description = jstr(compiled, "tender/description");
    p->tenderers = -1;
    extract_parties(&e, compiled);
    extract_money(&e, compiled);
    add_buyer_party(&e);
    extract_cpv(&e, compiled);
    extract_dates(p, compiled);
    extract_procedure(p, compiled);
    p->status = stage(compiled);
    p->withheld = count_withheld(compiled, 0);
    rc = supplier_lists(&e);
    if (rc < 0)
        return bf_err_set(err, rc, "supplier list of %s too long", p->ocid);
    return 0;
}
