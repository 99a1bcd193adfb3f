/*
 * fuzz_proc_step.c - libFuzzer target for the procedure step request
 * parser and the state machine behind it.
 *
 * Input: byte 0 picks the step, byte 1 the procedure state to apply it to
 * (one of six procedures driven through a restricted procedure's
 * lifecycle at start-up), the rest is the request body. The body goes
 * through proc_body_parse exactly as an HTTP request would, then through
 * proc_apply on a copy of the chosen procedure. Invariants checked: a
 * refused step leaves the procedure byte-for-byte unchanged (same
 * serialisation) and reports at least one issue; an accepted one
 * advances seq by one and yields a release with ocid, id, date and tag;
 * the procedure still serialises and parses back. The rest of the input
 * is also tried as a date.
 */
#include "common.h"
#include "proc/proc.h"

#define NSTATES 6
static struct proc states[NSTATES];
static int ready;

static const char *const WALK[][2] = {
    { "tender", "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-03-12\",\"electronicDocuments\":true}" },
    { "invitation", "{\"date\":\"2025-03-13\",\"tenderDeadline\":\"2025-04-22\",\"candidates\":[{\"id\":\"A\",\"name\":"
                    "\"A\"},{\"id\":\"B\",\"name\":\"B\"},{\"id\":\"C\",\"name\":\"C\"}]}" },
    { "bids", "{\"date\":\"2025-04-23\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"B\",\"name\":\"B\"},\"value\":"
              "{\"amount\":1000000,\"currency\":\"EUR\"},\"date\":\"2025-04-20\"}]}" },
    { "award", "{\"date\":\"2025-05-02\",\"bidId\":\"B1\"}" },
    { "contract", "{\"date\":\"2025-05-20\",\"dateSigned\":\"2025-05-20\"}" },
    { "transactions", "{\"date\":\"2025-06-01\",\"id\":\"T1\",\"value\":{\"amount\":1000000,\"currency\":\"EUR\"},"
                      "\"final\":true}" },
};

static int run(struct proc *p, enum proc_step s, const char *body, size_t len, json_t **rel)
{
    struct proc_issues is = { 0 };
    json_t *b = NULL;
    int rc = proc_body_parse(s, body, len, &b, &is);
    if (!rc)
        rc = proc_apply(p, s, b, 1767225600 /* 2026-01-01 */, rel, NULL, &is);
    json_decref(b);
    return rc;
}

static void setup(void)
{
    static const char create[] =
        "{\"title\":\"Fuzz\",\"procedure\":\"restricted\",\"mainProcurementCategory\":\"goods\",\"estimatedValue\":"
        "{\"amount\":2000000,\"currency\":\"EUR\"},\"capabilityArea\":\"land\",\"date\":\"2025-01-06\",\"withheld\":"
        "[{\"path\":\"/awards/0/value\",\"reason\":\"defenceSecurity\",\"disclosureDate\":\"2027-01-01\"}]}";
    struct proc_issues is = { 0 };
    struct proc p;
    json_t *b = NULL, *rel = NULL;
    size_t i;

    if (proc_body_parse(PROC_STEP_CREATE, create, strlen(create), &b, &is) ||
        proc_create("ocds-belfry-FUZZ-000001", "FUZZ", b, 1767225600, &p, &rel, &is))
        abort();
    json_decref(b);
    json_decref(rel);
    for (i = 0; i < NSTATES; i++) {
        proc_copy(&states[i], &p);
        if (i == BF_ARRAY_LEN(WALK))
            break;
        if (run(&p, (enum proc_step)proc_step_parse(WALK[i][0]), WALK[i][1], strlen(WALK[i][1]), &rel))
            abort();
        json_decref(rel);
    }
    proc_free(&p);
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proc p, q;
    struct proc_date d;
    json_t *rel = NULL;
    char *before = NULL, *after = NULL, *again = NULL;
    char *text;
    int rc;

    if (!ready)
        setup();
    if (size < 2)
        return 0;
    proc_copy(&p, &states[data[1] % NSTATES]);
    if (proc_serialize(&p, &before, NULL))
        abort();
    rc = run(&p, (enum proc_step)(data[0] % PROC_NSTEPS), (const char *)data + 2, size - 2, &rel);
    if (proc_serialize(&p, &after, NULL))
        abort();
    if (rc) {
        if (strcmp(before, after) || rel)
            abort(); /* a refused step changed the procedure */
    } else {
        if (!json_is_string(json_object_get(rel, "ocid")) || !json_is_string(json_object_get(rel, "id")) ||
            !json_is_string(json_object_get(rel, "date")) || !json_is_array(json_object_get(rel, "tag")) ||
            p.seq != states[data[1] % NSTATES].seq + 1)
            abort();
        if (proc_deserialize(p.ocid, p.buyer, after, &q, NULL) || proc_serialize(&q, &again, NULL) ||
            strcmp(after, again))
            abort();
        proc_free(&q);
    }
    text = bf_xstrndup((const char *)data + 2, size - 2);
    proc_date_parse(text, &d, NULL);
    free(text);
    free(before);
    free(after);
    free(again);
    json_decref(rel);
    proc_free(&p);
    return 0;
}
