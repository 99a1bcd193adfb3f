/*
 * test_ocds_demo.c - the demo generator: every release it makes passes
 * ocds_release_check, output is deterministic and prefix-stable, dates
 * increase within a procedure, and the mix covers every Directive
 * 2009/81/EC procedure, every capability area, Art. 28 grounds, amendments,
 * payments and withheld values.
 */
#include "common.h"
#include "tap.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "ocds/ocds_demo.h"

#define N 4000

struct acc {
    int n, bad, order_bad;
    char first_bad[600];
    char digest[N][65];
    char last_ocid[128], last_date[32];
    int procs[4], caps[8], grounds, withheld, amend, tx, cancel, terminated;
};

static const char *const procs[] = { "restricted", "negotiatedWithPublication", "competitiveDialogue",
                                     "negotiatedWithoutPublication" };
static const char *const caps[] = { "dronesUav", "combatAircraft", "land", "cyberElectronicWarfare", "airDefence",
                                    "ammunition", "infrastructure", "other" };

static void tally(struct acc *a, json_t *r)
{
    json_t *d = json_object_get(json_object_get(r, "tender"), "defence");
    const char *tag = json_string_value(json_array_get(json_object_get(r, "tag"), 0));
    const char *pc = json_string_value(json_object_get(d, "procedure"));
    const char *cc = json_string_value(json_object_get(d, "capabilityArea"));
    size_t i;

    if (!strcmp(tag, "tender")) {
        for (i = 0; pc && i < 4; i++)
            a->procs[i] += !strcmp(pc, procs[i]);
        for (i = 0; cc && i < 8; i++)
            a->caps[i] += !strcmp(cc, caps[i]);
        a->grounds += json_object_get(d, "negotiatedWithoutPublicationGround") != NULL;
    }
    a->withheld += json_object_get(r, "withheld") != NULL;
    a->amend += !strcmp(tag, "contractAmendment") || !strcmp(tag, "tenderAmendment");
    a->tx += !strcmp(tag, "implementation");
    a->cancel += !strcmp(tag, "tenderCancellation");
    a->terminated += !strcmp(tag, "contractTermination");
}

static int on_release(void *arg, json_t *r)
{
    struct acc *a = arg;
    struct bf_err err = { 0 };
    const char *ocid = json_string_value(json_object_get(r, "ocid"));
    const char *date = json_string_value(json_object_get(r, "date"));

    if (ocds_release_check(r, &err) < 0 && a->bad++ == 0) {
        char *s = json_dumps(r, JSON_COMPACT);
        snprintf(a->first_bad, sizeof a->first_bad, "%s in %.400s", err.msg, s);
        free(s);
    }
    if (a->n < N)
        ocds_digest(r, a->digest[a->n], NULL);
    if (!strcmp(ocid, a->last_ocid) && strcmp(date, a->last_date) <= 0)
        a->order_bad++;
    snprintf(a->last_ocid, sizeof a->last_ocid, "%s", ocid);
    snprintf(a->last_date, sizeof a->last_date, "%s", date);
    tally(a, r);
    a->n++;
    return 0;
}

int main(void)
{
    static struct acc a, b, c;
    char *buf = NULL;
    size_t len = 0;
    uint64_t bytes = 0;
    FILE *f;
    int i, same = 1, all_caps = 1;

    ocds_demo_generate(42, N, on_release, &a);
    ok(a.n == N, "generated exactly %d releases (%d)", N, a.n);
    ok(a.bad == 0, "all pass ocds_release_check (%d bad) %s", a.bad, a.first_bad);
    ok(a.order_bad == 0, "dates increase within each procedure (%d violations)", a.order_bad);
    ocds_demo_generate(42, N, on_release, &b);
    for (i = 0; i < N; i++)
        same &= !strcmp(a.digest[i], b.digest[i]);
    ok(same, "same seed, same releases (digest by digest)");
    ocds_demo_generate(42, N / 2, on_release, &c);
    same = c.n == N / 2;
    for (i = 0; i < N / 2; i++)
        same &= !strcmp(a.digest[i], c.digest[i]);
    ok(same, "a smaller count is a prefix of a larger one");
    memset(&c, 0, sizeof c);
    ocds_demo_generate(43, 10, on_release, &c);
    ok(strcmp(c.digest[0], a.digest[0]) != 0, "another seed, other releases");
    ok(a.procs[0] > a.procs[2] && a.procs[1] > 0 && a.procs[2] > 0 && a.procs[3] > 0,
       "all four 2009/81 procedures: %d restricted, %d negotiated w/ pub, %d dialogue, %d w/o pub", a.procs[0],
       a.procs[1], a.procs[2], a.procs[3]);
    ok(a.grounds == a.procs[3], "every negotiated procedure without publication has its Art. 28 ground");
    for (i = 0; i < 8; i++)
        all_caps &= a.caps[i] > 0;
    ok(all_caps, "every capability area appears");
    ok(a.withheld > 0 && a.amend > 0 && a.tx > 0 && a.cancel > 0 && a.terminated > 0,
       "withheld %d, amendments %d, payments %d, cancellations %d, terminations %d", a.withheld, a.amend, a.tx,
       a.cancel, a.terminated);
    f = open_memstream(&buf, &len);
    ok(ocds_demo_jsonl(42, 50, f, &bytes, NULL) == 0, "JSON Lines output");
    fclose(f);
    {
        int lines = 0;
        size_t k;
        for (k = 0; k < len; k++)
            lines += buf[k] == '\n';
        ok(lines == 50 && bytes == len, "50 lines, %zu bytes", len);
    }
    free(buf);
    return tap_done();
}
