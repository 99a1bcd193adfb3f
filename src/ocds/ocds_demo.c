/*
 * ocds_demo.c - the deterministic generator of defence procurement
 * procedures (see ocds_demo.h for what it produces).
 *
 * Invariants: procedure k depends only on (seed, k) through its own
 * xoshiro256** stream; release dates within a procedure strictly
 * increase; every release passes ocds_release_check (the unit test checks
 * thousands); time limits respect Directive 2009/81/EC minimums (37 days
 * for requests to participate, 40 for tenders, shorter only for
 * negotiated procedures without publication); values are log-normal in
 * EUR, rounded to hundreds.
 */
#define OCDS_DEMO_INTERNAL
#include "common.h"
#include "ocds_demo.h"

#include <math.h>

#define DAY 86400

/* json_pack with the format checked: a bad format is a bug in this file,
 * so it stops the program with the line instead of dropping a field. */
static json_t *demo_pack(int line, const char *fmt, ...)
{
    json_error_t e;
    json_t *v;
    va_list ap;
    va_start(ap, fmt);
    v = json_vpack_ex(&e, 0, fmt, ap);
    va_end(ap);
    if (!v) {
        fprintf(stderr, "ocds_demo.c:%d: json_pack: %s\n", line, e.text);
        abort();
    }
    return v;
}
#define json_pack(...) demo_pack(__LINE__, __VA_ARGS__)

/* ---- random numbers ------------------------------------------------------ */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_init(struct rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
    int i;
    for (i = 0; i < 4; i++)
        r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static uint64_t rnd(struct rng *r, uint64_t n)
{
    return n ? rng_next(r) % n : 0;
}

static double rnd01(struct rng *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

static int chance(struct rng *r, double p)
{
    return rnd01(r) < p;
}

static int64_t between(struct rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)rnd(r, (uint64_t)(hi - lo + 1));
}

static double normal(struct rng *r)
{
    double u = rnd01(r), v = rnd01(r);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

#define PICK(r, arr, n) (&(arr)[weighted((r), (arr), (n), sizeof((arr)[0]), offsetof(__typeof__((arr)[0]), weight))])

static size_t weighted(struct rng *r, const void *arr, size_t n, size_t size, size_t off)
{
    const char *p = arr;
    int total = 0, x;
    size_t i;
    for (i = 0; i < n; i++)
        total += *(const int *)(p + i * size + off);
    x = (int)rnd(r, (uint64_t)total);
    for (i = 0; i < n; i++) {
        x -= *(const int *)(p + i * size + off);
        if (x < 0)
            return i;
    }
    return n - 1;
}

static size_t list_len(const char *const *l)
{
    size_t n = 0;
    while (l[n])
        n++;
    return n;
}

/* ---- organisations ------------------------------------------------------------ */

struct org {
    char id[64], scheme[24], ident[24], name[128], locality[48], country[48], cc[4];
};

/* Supplier number k of the seed's pool: always the same organisation. */
static void supplier(uint64_t seed, uint64_t k, struct org *o)
{
    struct rng r;
    const struct demo_country *c;
    char ident[24];
    size_t i;
    int d;

    rng_init(&r, seed ^ 0x5eed5eedULL, 1000000007ULL + k);
    c = PICK(&r, demo_countries, demo_ncountries);
    for (i = 0, d = 0; d < c->digits && i + 1 < sizeof ident; d++)
        ident[i++] = (char)('0' + (d == 0 && !strcmp(c->code, "BE") ? (int)rnd(&r, 2) : (int)rnd(&r, 10)));
    ident[i] = 0;
    if (!strcmp(c->code, "DE"))
        snprintf(ident, sizeof ident, "HRB%06u", (unsigned)rnd(&r, 1000000));
    snprintf(o->ident, sizeof o->ident, "%s", ident);
    snprintf(o->scheme, sizeof o->scheme, "%s", c->scheme);
    snprintf(o->id, sizeof o->id, "%s-%s", c->scheme, ident);
    snprintf(o->name, sizeof o->name, "%s %s %s", c->places[rnd(&r, list_len(c->places))],
             demo_trades[rnd(&r, list_len(demo_trades))], c->forms[rnd(&r, list_len(c->forms))]);
    snprintf(o->locality, sizeof o->locality, "%s", c->locality);
    snprintf(o->country, sizeof o->country, "%s", c->name);
    snprintf(o->cc, sizeof o->cc, "%s", c->code);
}

static json_t *org_ref(const struct org *o)
{
    return json_pack("{ssss}", "id", o->id, "name", o->name);
}

static json_t *party(const struct org *o, const char *role1, const char *role2)
{
    json_t *roles = json_pack("[s]", role1);
    if (role2)
        json_array_append_new(roles, json_string(role2));
    return json_pack("{sssss{ssssss}s{ssss}so}", "id", o->id, "name", o->name, "identifier", "scheme", o->scheme,
                     "id", o->ident, "legalName", o->name, "address", "locality", o->locality, "countryName",
                     o->country, "roles", roles);
}

/* ---- a procedure ---------------------------------------------------------------- */

enum { P_RESTRICTED, P_NEGOTIATED_PUB, P_DIALOGUE, P_NWP };
static const char *const proc_codes[] = { "restricted", "negotiatedWithPublication", "competitiveDialogue",
                                          "negotiatedWithoutPublication" };
static const char *const proc_names[] = { "Restricted procedure (Directive 2009/81/EC, Art. 25)",
                                          "Negotiated procedure with publication of a contract notice (Art. 25)",
                                          "Competitive dialogue (Art. 27)",
                                          "Negotiated procedure without publication of a contract notice (Art. 28)" };
static const char *const classif[] = { "unclassified", "restricted", "confidential", "secret" };
static const char *const categories[] = { "goods", "works", "services" };

struct proc {
    uint64_t seed, k;
    struct rng r;
    char ocid[80];
    const struct demo_buyer *buyer;
    struct org b;
    const struct demo_cap *cap;
    const struct demo_cpv *cpv;
    const struct demo_ground *ground;
    char title[200];
    int procedure, classification, withhold, lots_qty;
    double estimate, award_value, contract_value;
    int64_t t; /* time of the latest release */
    int64_t t_notice, t_deadline, t_contract_end;
    struct org tenderer[5];
    int ntenderers, winner;
    int seq;
    int64_t sequence_start;
};

static void fmt_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *jtime(int64_t t)
{
    char b[32];
    fmt_time(t, b);
    return json_string(b);
}

static json_t *money(double v)
{
    return json_pack("{sIss}", "amount", (json_int_t)v, "currency", "EUR");
}

static double round_value(double v)
{
    v = floor(v / 100.0) * 100.0;
    return v < 10000 ? 10000 : v;
}

static void proc_init(struct proc *p, uint64_t seed, uint64_t k)
{
    static const struct { int weight; } pw[] = { { 45 }, { 33 }, { 5 }, { 17 } };
    int year;
    size_t i;

    memset(p, 0, sizeof *p);
    p->seed = seed;
    p->k = k;
    rng_init(&p->r, seed, k);
    p->buyer = PICK(&p->r, demo_buyers, demo_nbuyers);
    snprintf(p->b.id, sizeof p->b.id, "%s", p->buyer->party_id);
    snprintf(p->b.scheme, sizeof p->b.scheme, "%s", p->buyer->scheme);
    snprintf(p->b.ident, sizeof p->b.ident, "%s", p->buyer->ident);
    snprintf(p->b.name, sizeof p->b.name, "%s", p->buyer->name);
    snprintf(p->b.locality, sizeof p->b.locality, "%s", p->buyer->locality);
    snprintf(p->b.country, sizeof p->b.country, "%s", !strcmp(p->buyer->country, "BE") ? "Belgium"
                                                      : !strcmp(p->buyer->country, "LU") ? "Luxembourg" : "Germany");
    snprintf(p->b.cc, sizeof p->b.cc, "%s", p->buyer->country);
    p->cap = !strcmp(p->buyer->unit, "INF") ? &demo_caps[6] : PICK(&p->r, demo_caps, demo_ncaps);
    p->cpv = &p->cap->cpv[rnd(&p->r, p->cap->ncpv)];
    if (!strcmp(p->buyer->unit, "INF"))
        p->cpv = &p->cap->cpv[0];
    snprintf(p->title, sizeof p->title, "%s", p->cap->titles[rnd(&p->r, list_len(p->cap->titles))]);
    p->procedure = (int)weighted(&p->r, pw, 4, sizeof pw[0], 0);
    if (p->procedure == P_NWP)
        p->ground = PICK(&p->r, demo_grounds, demo_ngrounds);
    p->classification = (int)between(&p->r, 0, 9);
    p->classification = p->classification < 4 ? 0 : p->classification < 7 ? 1 : p->classification < 9 ? 2 : 3;
    p->withhold = p->classification == 3;
    p->estimate = round_value(p->cap->median_eur * exp(1.1 * normal(&p->r)));
    if (p->estimate > 2.5e9)
        p->estimate = 2.5e9;
    p->lots_qty = (int)between(&p->r, 1, 400);
    year = 2020 + (int)rnd(&p->r, 6);
    p->t = (int64_t)(year - 1970) * 365 * DAY + (int64_t)((year - 1969) / 4) * DAY + between(&p->r, 0, 330) * DAY +
           between(&p->r, 8, 16) * 3600;
    /* seeds other than 1 get their own ocids, so data sets of several seeds can share a store */
    if (seed == 1)
        snprintf(p->ocid, sizeof p->ocid, "ocds-b3lfry-%s-%d-%05" PRIu64, p->buyer->unit, year, k);
    else
        snprintf(p->ocid, sizeof p->ocid, "ocds-b3lfry-%s-%d-S%" PRIu64 "-%05" PRIu64, p->buyer->unit, year, seed, k);
    p->ntenderers = p->procedure == P_NWP ? 1 : (int)between(&p->r, 1, 5);
    for (i = 0; i < (size_t)p->ntenderers; i++) {
        size_t j;
        supplier(seed, rnd(&p->r, 400), &p->tenderer[i]);
        for (j = 0; j < i; j++)
            if (!strcmp(p->tenderer[j].id, p->tenderer[i].id))
                break;
        if (j < i)
            i--; /* the same company twice: draw again */
    }
    p->winner = (int)rnd(&p->r, (uint64_t)p->ntenderers);
}

/* The common part of every release of p. */
static json_t *release_base(struct proc *p, const char *tag)
{
    char id[160], date[32];
    json_t *r;

    fmt_time(p->t, date);
    snprintf(id, sizeof id, "%s-%02d-%s", p->ocid, ++p->seq, tag);
    r = json_pack("{sssssss[s]sssss{ssss}}", "ocid", p->ocid, "id", id, "date", date, "tag", tag, "initiationType",
                  "tender", "language", "en", "buyer", "id", p->b.id, "name", p->b.name);
    return r;
}

static void add_parties(struct proc *p, json_t *r, int with_tenderers)
{
    json_t *parties = json_array();
    int i;
    json_array_append_new(parties, party(&p->b, "buyer", "procuringEntity"));
    for (i = 0; with_tenderers && i < p->ntenderers; i++)
        json_array_append_new(parties, party(&p->tenderer[i], "tenderer", i == p->winner ? "supplier" : NULL));
    json_object_set_new(r, "parties", parties);
}

static void add_withheld(json_t *r, const char *path, int64_t until)
{
    json_t *w = json_object_get(r, "withheld");
    if (!w) {
        w = json_array();
        json_object_set_new(r, "withheld", w);
    }
    json_array_append_new(w, json_pack("{ssssso}", "path", path, "reason", "defenceSecurity", "disclosureDate",
                                       jtime(until)));
}

static json_t *defence_block(struct proc *p, int full)
{
    json_t *d = json_pack("{ssssssss}", "directive", "2009/81/EC", "procedure", proc_codes[p->procedure],
                          "capabilityArea", p->cap->code, "securityClassification", classif[p->classification]);
    json_t *fs;
    if (p->ground) {
        json_object_set_new(d, "negotiatedWithoutPublicationGround", json_string(p->ground->code));
        json_object_set_new(d, "groundJustification", json_string(p->ground->why));
    }
    if (!strcmp(p->buyer->unit, "NSPA"))
        fs = json_pack("[{sssssf}]", "id", "1", "type", "natoCommonFunding", "share", 100.0);
    else if (!strcmp(p->buyer->unit, "OCCAR"))
        fs = json_pack("[{sssss[ss]sf}]", "id", "1", "type", "jointProcurement", "participatingStates", "BE", "LU",
                       "share", 100.0);
    else if (!strcmp(p->cap->code, "dronesUav") && (p->k % 5) == 0)
        fs = json_pack("[{sssssssf},{sssssssf}]", "id", "1", "type", "nationalBudget", "budgetLine", "16.50.12.1211",
                       "share", 60.0, "id", "2", "type", "euEDF", "instrument", "European Defence Fund", "share", 40.0);
    else
        fs = json_pack("[{sssssssf}]", "id", "1", "type", "nationalBudget", "budgetLine",
                       !strcmp(p->buyer->unit, "POL") ? "13.40.21.1211" : "16.50.12.7422", "share", 100.0);
    json_object_set_new(d, "fundingSources", fs);
    if (!full)
        return d;
    if (p->classification >= 2)
        json_object_set_new(d, "securityClearance",
                            json_pack("{sbssso}", "required", 1, "level", classif[p->classification], "deadline",
                                      jtime(p->t_deadline - 10 * DAY)));
    json_object_set_new(d, "nonDisclosureAgreement", json_pack("{sb}", "required", p->classification >= 1));
    if (p->cpv->category == 0)
        json_object_set_new(d, "securityOfSupply",
                            json_pack("{s[ss]}", "requirements", "exportTransferTransit", "crisisCapacity"));
    if (p->estimate > 5e6)
        json_object_set_new(d, "subcontracting",
                            json_pack("{sssisi}", "obligation", "competitiveShare", "minimumPercentage", 10,
                                      "maximumPercentage", 30));
    else
        json_object_set_new(d, "subcontracting", json_pack("{ss}", "obligation", "disclose"));
    return d;
}

static json_t *items(struct proc *p)
{
    return json_pack("[{sssss{ssssss}sis{ss}}]", "id", "1", "description", p->title, "classification", "scheme",
                     "CPV", "id", p->cpv->code, "description", p->cpv->desc, "quantity",
                     p->cpv->category == 1 ? 1 : p->lots_qty, "unit", "name",
                     p->cpv->category == 0 ? "piece" : p->cpv->category == 1 ? "lot" : "service");
}

/* ---- the stages ------------------------------------------------------------------ */

struct out {
    ocds_demo_fn fn;
    void *arg;
    uint64_t left;
    int stop;
};

/* The demo's "today": a publisher never dates a release in the future, so
 * a procedure whose next release would fall after this date stops where
 * it is (an open tender, a contract being executed). Fixed rather than
 * the clock so that the generator stays deterministic. */
#define DEMO_AS_OF "2026-11-01T00:00:00Z"

/* Hands r to the caller; returns 1 when the procedure must stop. */
static int put(struct out *o, json_t *r)
{
    int rc = 0;
    const char *date = json_string_value(json_object_get(r, "date"));
    if (date && strcmp(date, DEMO_AS_OF) > 0) {
        rc = 1;
    } else if (o->left && !o->stop) {
        o->left--;
        o->stop = o->fn(o->arg, r);
        rc = o->stop || !o->left;
    } else {
        rc = 1;
    }
    json_decref(r);
    return rc;
}

static int planning(struct proc *p, struct out *o)
{
    json_t *r = release_base(p, "planning");
    char budget_id[96];
    snprintf(budget_id, sizeof budget_id, "%s-B", p->ocid);
    add_parties(p, r, 0);
    json_object_set_new(r, "planning",
                        json_pack("{sss{sssssoss}}", "rationale",
                                  "Capability plan (Strategic Vision for Defence) and replacement of end-of-life equipment",
                                  "budget", "id", budget_id, "description", p->title, "amount",
                                  money(round_value(p->estimate * 1.1)), "project", p->cap->code));
    json_object_set_new(r, "tender",
                        json_pack("{ssssssssso}", "id", p->ocid, "title", p->title, "status", "planned",
                                  "mainProcurementCategory", categories[p->cpv->category], "defence",
                                  defence_block(p, 0)));
    return put(o, r);
}

static json_t *tender_full(struct proc *p)
{
    const char *method = p->procedure == P_NWP ? (p->ntenderers == 1 ? "direct" : "limited") : "selective";
    json_t *t = json_pack("{sssssssssssssssssosos{soso}s[s]sososo}", "id", p->ocid, "title", p->title, "description",
                          p->cpv->desc, "status", "active", "procurementMethod", method, "procurementMethodDetails",
                          proc_names[p->procedure], "mainProcurementCategory", categories[p->cpv->category],
                          "awardCriteria", p->procedure == P_NWP ? "priceOnly" : "bestProposal", "value",
                          money(p->estimate), "items", items(p), "tenderPeriod", "startDate", jtime(p->t_notice),
                          "endDate", jtime(p->t_deadline), "submissionMethod", "electronicSubmission",
                          "procuringEntity", org_ref(&p->b), "defence", defence_block(p, 1), "documents",
                          json_pack("[{ssssssssso}]", "id", "notice", "documentType", "tenderNotice", "title",
                                    "Contract notice", "url", "https://ted.europa.eu/", "datePublished",
                                    jtime(p->t_notice)));
    if (p->ground)
        json_object_set_new(t, "procurementMethodRationale", json_string(p->ground->why));
    return t;
}

static int tender(struct proc *p, struct out *o)
{
    json_t *r;
    int64_t req_days = p->procedure == P_NWP ? 0 : between(&p->r, 37, 52);
    int64_t tender_days = p->procedure == P_NWP ? between(&p->r, 10, 25) : between(&p->r, 40, 65);

    p->t += between(&p->r, 20, 120) * DAY;
    p->t_notice = p->t;
    p->t_deadline = p->t + (req_days + tender_days) * DAY;
    r = release_base(p, "tender");
    add_parties(p, r, 0);
    json_object_set_new(r, "tender", tender_full(p));
    if (p->withhold)
        add_withheld(r, "/tender/value", p->t + 5 * 365 * DAY);
    return put(o, r);
}

static int tender_amendment(struct proc *p, struct out *o)
{
    json_t *r;
    int64_t old = p->t_deadline;
    p->t += between(&p->r, 5, (p->t_deadline - p->t) / DAY > 8 ? (p->t_deadline - p->t) / DAY - 3 : 5) * DAY;
    p->t_deadline += between(&p->r, 7, 21) * DAY;
    r = release_base(p, "tenderAmendment");
    json_object_set_new(r, "tender",
                        json_pack("{sss{soso}s[{sssoss}]}", "id", p->ocid, "tenderPeriod", "startDate",
                                  jtime(p->t_notice), "endDate", jtime(p->t_deadline), "amendments", "id", "1",
                                  "date", jtime(p->t), "rationale",
                                  "Time limit for receipt of tenders extended after clarification requests"));
    (void)old;
    return put(o, r);
}

static int cancellation(struct proc *p, struct out *o)
{
    json_t *r;
    p->t = p->t_deadline + between(&p->r, 3, 30) * DAY;
    r = release_base(p, "tenderCancellation");
    json_object_set_new(r, "tender", json_pack("{ssssss}", "id", p->ocid, "status", "unsuccessful", "statusDetails",
                                               "No suitable tenders received; a new procedure will be considered"));
    return put(o, r);
}

static json_t *bids(struct proc *p)
{
    json_t *d = json_array();
    int i;
    for (i = 0; i < p->ntenderers; i++) {
        double v = i == p->winner ? p->award_value : round_value(p->award_value * (1.02 + 0.25 * rnd01(&p->r)));
        char id[16];
        snprintf(id, sizeof id, "B%d", i + 1);
        json_array_append_new(d, json_pack("{sssss[o]so}", "id", id, "status",
                                           i == p->winner || chance(&p->r, 0.8) ? "valid" : "disqualified",
                                           "tenderers", org_ref(&p->tenderer[i]), "value", money(v)));
    }
    return json_pack("{so}", "details", d);
}

static int award(struct proc *p, struct out *o)
{
    json_t *r;
    double share = p->estimate > 5e6 ? 10 + (double)rnd(&p->r, 21) : (double)rnd(&p->r, 15);

    p->award_value = round_value(p->estimate * (0.78 + 0.35 * rnd01(&p->r)));
    p->t = p->t_deadline + between(&p->r, 25, 110) * DAY;
    r = release_base(p, "award");
    add_parties(p, r, 1);
    json_object_set_new(r, "tender", json_pack("{sssssi}", "id", p->ocid, "status", "complete", "numberOfTenderers",
                                               p->ntenderers));
    json_object_set_new(r, "awards",
                        json_pack("[{sssssssos[o]sos{sf}}]", "id", "A1", "title", p->title, "status", "active",
                                  "date", jtime(p->t), "suppliers", org_ref(&p->tenderer[p->winner]), "value",
                                  money(p->award_value), "defence", "subcontractingShare", share));
    json_object_set_new(r, "bids", bids(p));
    if (p->withhold) {
        int i;
        add_withheld(r, "/awards/0/value", p->t + 5 * 365 * DAY);
        for (i = 0; i < p->ntenderers; i++) {
            char path[48];
            snprintf(path, sizeof path, "/bids/details/%d/value", i);
            add_withheld(r, path, p->t + 5 * 365 * DAY);
        }
    }
    return put(o, r);
}

static int contract(struct proc *p, struct out *o)
{
    json_t *r, *ms;
    int64_t start;
    int i, n = (int)between(&p->r, 1, 3);

    p->t += between(&p->r, 11, 40) * DAY; /* standstill */
    start = p->t + between(&p->r, 1, 30) * DAY;
    p->t_contract_end = start + between(&p->r, 180, 1460) * DAY;
    p->contract_value = p->award_value;
    ms = json_array();
    for (i = 0; i < n; i++) {
        char id[8], title[64];
        snprintf(id, sizeof id, "M%d", i + 1);
        snprintf(title, sizeof title, i + 1 == n ? "Final acceptance" : "Delivery of batch %d", i + 1);
        json_array_append_new(ms, json_pack("{sssssssoss}", "id", id, "title", title, "type", "delivery", "dueDate",
                                            jtime(start + (p->t_contract_end - start) * (i + 1) / n), "status",
                                            "scheduled"));
    }
    r = release_base(p, "contract");
    add_parties(p, r, 1);
    json_object_set_new(r, "contracts",
                        json_pack("[{sssssssss{soso}sososo}]", "id", "C1", "awardID", "A1", "title", p->title,
                                  "status", "active", "period", "startDate", jtime(start), "endDate",
                                  jtime(p->t_contract_end), "value", money(p->contract_value), "dateSigned",
                                  jtime(p->t), "milestones", ms));
    if (p->withhold)
        add_withheld(r, "/contracts/0/value", p->t_contract_end + 5 * 365 * DAY);
    return put(o, r);
}

static int payment(struct proc *p, struct out *o, int i, int n)
{
    json_t *r, *tx;
    char id[16];
    double v = round_value(p->contract_value / n);

    p->t += (p->t_contract_end - p->t) / (n - i + 1) + between(&p->r, 1, 20) * DAY;
    snprintf(id, sizeof id, "T%d", i + 1);
    tx = json_pack("[{sssssosos{ssss}s{ssss}}]", "id", id, "source", "https://fin.belgium.be/", "date", jtime(p->t),
                   "value", money(v), "payer", "id", p->b.id, "name", p->b.name, "payee", "id",
                   p->tenderer[p->winner].id, "name", p->tenderer[p->winner].name);
    r = release_base(p, "implementation");
    json_object_set_new(r, "contracts",
                        json_pack("[{sssss{so}}]", "id", "C1", "awardID", "A1", "implementation", "transactions", tx));
    if (p->withhold)
        add_withheld(r, "/contracts/0/implementation/transactions/0/value", p->t_contract_end + 5 * 365 * DAY);
    return put(o, r);
}

static int amendment(struct proc *p, struct out *o)
{
    json_t *r;
    double old = p->contract_value;
    p->t += between(&p->r, 20, 120) * DAY;
    p->contract_value = round_value(old * (1.04 + 0.26 * rnd01(&p->r)));
    r = release_base(p, "contractAmendment");
    json_object_set_new(r, "contracts",
                        json_pack("[{sssssos[{sssoss}]}]", "id", "C1", "awardID", "A1", "value",
                                  money(p->contract_value), "amendments", "id", "1", "date", jtime(p->t),
                                  "rationale", "Additional quantities under the option clause (Art. 28(3)(a))"));
    if (p->withhold)
        add_withheld(r, "/contracts/0/value", p->t_contract_end + 5 * 365 * DAY);
    return put(o, r);
}

static int termination(struct proc *p, struct out *o)
{
    json_t *r;
    p->t = BF_MAX(p->t, p->t_contract_end) + between(&p->r, 1, 30) * DAY;
    r = release_base(p, "contractTermination");
    json_object_set_new(r, "contracts", json_pack("[{ssssssss}]", "id", "C1", "awardID", "A1", "status", "terminated",
                                                  "statusDetails", "Contract completed and final acceptance signed"));
    return put(o, r);
}

/* Emits the releases of procedure k until done or o says stop. */
static void procedure(uint64_t seed, uint64_t k, struct out *o)
{
    struct proc p;
    int i, npay;

    proc_init(&p, seed, k);
    if (planning(&p, o) || tender(&p, o))
        return;
    if (p.procedure != P_NWP && chance(&p.r, 0.15) && tender_amendment(&p, o))
        return;
    if (chance(&p.r, 0.04)) {
        cancellation(&p, o);
        return;
    }
    if (award(&p, o) || contract(&p, o))
        return;
    npay = (int)between(&p.r, 1, 4);
    for (i = 0; i < npay; i++) {
        if (i == 1 && chance(&p.r, 0.2) && amendment(&p, o))
            return;
        if (payment(&p, o, i, npay))
            return;
    }
    termination(&p, o);
}

int ocds_demo_generate(uint64_t seed, uint64_t count, ocds_demo_fn fn, void *arg)
{
    struct out o = { fn, arg, count, 0 };
    uint64_t k;
    for (k = 1; o.left && !o.stop; k++)
        procedure(seed, k, &o);
    return o.stop;
}

static int append_release(void *arg, json_t *release)
{
    return json_array_append(arg, release) ? -1 : 0;
}

json_t *ocds_demo_array(uint64_t seed, uint64_t count)
{
    json_t *a = json_array();
    ocds_demo_generate(seed, count, append_release, a);
    return a;
}

struct jsonl {
    FILE *f;
    uint64_t bytes;
    int failed;
};

static int write_line(void *arg, json_t *release)
{
    struct jsonl *j = arg;
    char *s = json_dumps(release, JSON_COMPACT);
    size_t n = s ? strlen(s) : 0;
    if (!s || fwrite(s, 1, n, j->f) != n || fputc('\n', j->f) == EOF)
        j->failed = 1;
    j->bytes += n + 1;
    free(s);
    return j->failed;
}

int ocds_demo_jsonl(uint64_t seed, uint64_t count, FILE *out, uint64_t *bytes, struct bf_err *err)
{
    struct jsonl j = { out, 0, 0 };
    ocds_demo_generate(seed, count, write_line, &j);
    if (bytes)
        *bytes = j.bytes;
    if (j.failed || fflush(out) == EOF)
        return bf_err_set(err, BF_EIO, "writing JSON Lines: %s", strerror(errno));
    return 0;
}
