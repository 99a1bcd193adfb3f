/*
 * proc_json.c - small helpers over the procedure's JSON (facts, release
 * content): typed getters that tolerate absent members, get-or-create
 * for nested objects and arrays, EUR amounts kept in integer cents so
 * that sums and caps are exact, deadline days, and party roles.
 *
 * Invariant: getters never fail on a missing or mistyped member; they
 * return NULL, 0 or -1 as documented in proc_int.h.
 */
#include "common.h"
#include "proc/proc_int.h"

const char *proc_jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

int proc_jbool(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

int64_t proc_jcents(const json_t *o, const char *key)
{
    const json_t *a = json_object_get(o, key);
    const json_t *n = json_object_get(a, "amount");
    if (!json_is_number(n))
        return -1;
    return (int64_t)(json_number_value(n) * 100.0 + 0.5);
}

json_t *proc_jobj(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_object(v)) {
        v = json_object();
        json_object_set_new(o, key, v);
    }
    return v;
}

json_t *proc_jarr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_array(v)) {
        v = json_array();
        json_object_set_new(o, key, v);
    }
    return v;
}

/* A date member of o: 0 and *d, or -1. */
static int jdate(const json_t *o, const char *key, struct proc_date *d)
{
    const char *s = proc_jstr(o, key);
    return s && proc_date_parse(s, d, NULL) == 0 ? 0 : -1;
}

int proc_fact_date(const struct proc *p, const char *key, struct proc_date *d)
{
    return jdate(p->facts, key, d);
}

int proc_body_date(const struct proc_work *w, const char *key, struct proc_date *d)
{
    return jdate(w->body, key, d);
}

void proc_fact_set_str(struct proc *p, const char *key, const char *v)
{
    json_object_set_new(p->facts, key, json_string(v));
}

void proc_fact_set_int(struct proc *p, const char *key, int64_t v)
{
    json_object_set_new(p->facts, key, json_integer((json_int_t)v));
}

void proc_fact_set_bool(struct proc *p, const char *key, int v)
{
    json_object_set_new(p->facts, key, json_boolean(v));
}

int64_t proc_fact_int(const struct proc *p, const char *key, int64_t dflt)
{
    const json_t *v = json_object_get(p->facts, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

json_t *proc_amount(int64_t cents)
{
    json_t *a = json_object();
    if (cents % 100 == 0)
        json_object_set_new(a, "amount", json_integer((json_int_t)(cents / 100)));
    else
        json_object_set_new(a, "amount", json_real((double)cents / 100.0));
    json_object_set_new(a, "currency", json_string("EUR"));
    return a;
}

json_t *proc_dates_normalised(const json_t *obj)
{
    static const char *const keys[] = { "startDate", "endDate", "dueDate", "dateMet" };
    json_t *o = json_deep_copy(obj);
    struct proc_date d;
    size_t i;

    for (i = 0; i < BF_ARRAY_LEN(keys); i++)
        if (proc_date_parse(proc_jstr(o, keys[i]), &d, NULL) == 0)
            json_object_set_new(o, keys[i], json_string(d.text));
    return o;
}

void proc_dl_day(json_t *dl, const char *name, int64_t day)
{
    char d[11];
    if (!dl)
        return;
    proc_day_format(day, d);
    json_object_set_new(dl, name, json_string(d));
}

void proc_party_role(json_t *doc, const char *id, const char *name, const char *role)
{
    json_t *parties = proc_jarr(doc, "parties"), *party = NULL, *roles, *r;
    size_t i;

    for (i = 0; i < json_array_size(parties); i++)
        if (!strcmp(proc_jstr(json_array_get(parties, i), "id") ? proc_jstr(json_array_get(parties, i), "id") : "",
                    id))
            party = json_array_get(parties, i);
    if (!party) {
        party = json_pack("{s:s,s:s,s:[]}", "id", id, "name", name ? name : id, "roles");
        json_array_append_new(parties, party);
    }
    roles = proc_jarr(party, "roles");
    json_array_foreach(roles, i, r)
        if (json_is_string(r) && !strcmp(json_string_value(r), role))
            return;
    json_array_append_new(roles, json_string(role));
}

