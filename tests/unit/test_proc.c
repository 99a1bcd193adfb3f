/*
 * test_proc.c - the lifecycle state machine and the Directive 2009/81
 * rules, without a server: a restricted procedure from planning to final
 * payment, every illegal step and every deadline violation on the way
 * (each refused with the rule it breaks and leaving the procedure
 * unchanged), the releases each step yields, serialisation, and the rule
 * table lookups (thresholds per period, reductions, grounds).
 */
#include "common.h"
#include "proc/proc.h"
#include "ocds/ocds.h"
#include "tap.h"

static int n_checked, n_bad, n_disclosed;
static json_t *last_pub, *last_side; /* what ocds_publish would have stored for the previous release */

/* Every release a step yields must pass the OCDS core's release check
 * (OCDS 1.1.5 + bids + ext/defence) and its withheld split; a disclosing
 * release is first opened against the previous public release and its
 * sidecar, as the HTTP handler does, and the opening is checked. */
static void ocds_conform(const json_t *rel)
{
    struct bf_err err = { 0 };
    json_t *pub = NULL, *side = NULL, *opened = NULL;
    int disclosing = 0, rc;
    size_t i;
    json_t *e;

    n_checked++;
    json_array_foreach(json_object_get(rel, "withheld"), i, e)
        disclosing |= json_is_true(json_object_get(e, "disclosed"));
    if (disclosing) {
        rc = ocds_disclose(rel, last_pub, last_side, &opened, &err);
        if (!rc)
            rc = ocds_disclosure_check(last_pub, opened, &err);
        n_disclosed += rc == 0;
        rel = opened ? opened : rel;
    }
    if (ocds_release_check(rel, &err) < 0 || ocds_withhold(rel, &pub, &side, &err) < 0) {
        n_bad++;
        diag("release %s fails the OCDS check: %s", json_string_value(json_object_get(rel, "id")), err.msg);
    }
    json_decref(last_pub);
    json_decref(last_side);
    last_pub = pub;
    last_side = side;
    json_decref(opened);
}

static int64_t NOW; /* 2026-06-01T00:00:00Z */

/* /awards/0/value of a release. */
static json_t *proc_pointer_value(json_t *rel, const char *arr)
{
    return json_object_get(json_array_get(json_object_get(rel, arr), 0), "value");
}

/* Runs one step; returns the code and copies the first rule (or "") into
 * rule, and the joined rules of all issues into all. */
static int step(struct proc *p, enum proc_step s, const char *body, json_t **rel, char rule[96], char all[512])
{
    struct proc_issues is = { 0 };
    json_t *b = NULL, *r = NULL;
    int rc, i;
    size_t o = 0;

    rule[0] = all[0] = '\0';
    rc = proc_body_parse(s, body, strlen(body), &b, &is);
    if (!rc)
        rc = s == PROC_STEP_CREATE ? proc_create("ocds-belfry-BE-MOD-000001", "BE-MOD", b, NOW, p, &r, &is)
                                   : proc_apply(p, s, b, NOW, &r, NULL, &is);
    for (i = 0; i < is.n; i++) {
        int w = snprintf(all + o, 512 - o, "%s%s", i ? " " : "", is.v[i].rule ? is.v[i].rule : is.v[i].field);
        if (w > 0 && (size_t)w < 512 - o)
            o += (size_t)w;
    }
    if (is.n)
        snprintf(rule, 96, "%s", is.v[0].rule ? is.v[0].rule : "(input)");
    if (is.n)
        diag("%s: %s", proc_step_name(s), is.v[0].msg);
    json_decref(b);
    if (r)
        ocds_conform(r);
    if (rel)
        *rel = r;
    else
        json_decref(r);
    return rc;
}

/* Expects a refusal naming rule; checks the procedure did not move. */
static void refuse(struct proc *p, enum proc_step s, const char *body, const char *rule, const char *what)
{
    char r[96], all[512];
    int seq = p->seq, st = p->state;
    int rc = step(p, s, body, NULL, r, all);
    ok(rc == BF_ECONFLICT && strstr(all, rule) != NULL && p->seq == seq && (int)p->state == st,
       "%s refused with %s (got rc %d, rules: %s)", what, rule, rc, all);
}

static void accept(struct proc *p, enum proc_step s, const char *body, const char *tag, const char *state,
                   const char *what)
{
    char r[96], all[512];
    json_t *rel = NULL;
    int rc = step(p, s, body, &rel, r, all);
    const char *t = json_string_value(json_array_get(json_object_get(rel, "tag"), 0));
    ok(rc == 0 && t && !strcmp(t, tag) && !strcmp(proc_state_name(p->state), state),
       "%s accepted: tag %s, state %s (rc %d %s)", what, t ? t : "-", proc_state_name(p->state), rc, all);
    json_decref(rel);
}

static void test_create_rules(void)
{
    struct proc p = { 0 };
    char r[96], all[512];
    json_t *rel = NULL;
    int rc;

    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"x\",\"procedure\":\"open\",\"mainProcurementCategory\":\"goods\","
              "\"estimatedValue\":{\"amount\":1000000,\"currency\":\"EUR\"},\"capabilityArea\":\"land\","
              "\"date\":\"2025-01-06\"}", NULL, r, all);
    ok(rc == BF_ECONFLICT && !strcmp(r, "dir2009-81/art25-procedures"), "open procedure: %s", r);
    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"x\",\"procedure\":\"negotiatedWithoutPublication\","
              "\"mainProcurementCategory\":\"goods\",\"estimatedValue\":{\"amount\":1000000,\"currency\":\"EUR\"},"
              "\"capabilityArea\":\"land\",\"date\":\"2025-01-06\"}", NULL, r, all);
    ok(rc == BF_ECONFLICT && !strcmp(r, "dir2009-81/art28-ground"), "no Art. 28 ground: %s", r);
    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"x\",\"procedure\":\"negotiatedWithoutPublication\","
              "\"article28Ground\":\"art28-3b\",\"article28Justification\":\"j\","
              "\"mainProcurementCategory\":\"services\",\"estimatedValue\":{\"amount\":1000000,\"currency\":\"EUR\"},"
              "\"capabilityArea\":\"land\",\"date\":\"2025-01-06\"}", NULL, r, all);
    ok(rc == BF_ECONFLICT && !strcmp(r, "dir2009-81/art28-ground"), "supplies-only ground on services: %s", r);
    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"x\",\"procedure\":\"negotiatedWithoutPublication\","
              "\"article28Ground\":\"art28-1e\",\"mainProcurementCategory\":\"goods\","
              "\"estimatedValue\":{\"amount\":1000000,\"currency\":\"EUR\"},"
              "\"capabilityArea\":\"land\",\"date\":\"2025-01-06\"}", NULL, r, all);
    ok(rc == BF_ECONFLICT && !strcmp(r, "dir2009-81/art28-ground"), "ground without justification: %s", r);
    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"x\",\"procedure\":\"negotiatedWithoutPublication\","
              "\"mainProcurementCategory\":\"goods\",\"estimatedValue\":{\"amount\":100000,\"currency\":\"EUR\"},"
              "\"capabilityArea\":\"land\",\"date\":\"2025-01-06\"}", &rel, r, all);
    ok(rc == BF_ECONFLICT && !strcmp(r, "dir2009-81/art28-ground"),
       "below the threshold a ground is still named (ext/defence requires it): %s", r);
    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"x\",\"procedure\":\"restricted\",\"mainProcurementCategory\":"
              "\"goods\",\"estimatedValue\":{\"amount\":1,\"currency\":\"USD\"},\"capabilityArea\":\"land\"}",
              NULL, r, all);
    ok(rc == BF_EINVAL && strstr(all, "/estimatedValue"), "USD refused as input error: %s", all);
    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"x\",\"procedure\":\"restricted\",\"mainProcurementCategory\":"
              "\"goods\",\"estimatedValue\":{\"amount\":1,\"currency\":\"EUR\"},\"capabilityArea\":\"land\","
              "\"date\":\"2031-01-01\"}", NULL, r, all);
    ok(rc == BF_ECONFLICT && strstr(all, "lifecycle/date-in-future"), "date in the future: %s", all);
    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"x\",\"procedure\":\"restricted\",\"mainProcurementCategory\":"
              "\"goods\",\"estimatedValue\":{\"amount\":1,\"currency\":\"EUR\"},\"capabilityArea\":\"land\","
              "\"date\":\"2009-01-01\"}", NULL, r, all);
    ok(rc == BF_EINVAL && strstr(all, "/date"), "before the Directive's transposition: %s", all);
    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"x\",\"procedure\":\"restricted\",\"mainProcurementCategory\":"
              "\"goods\",\"estimatedValue\":{\"amount\":1,\"currency\":\"EUR\"},\"capabilityArea\":\"land\","
              "\"withheld\":[{\"path\":\"/ocid\",\"reason\":\"x\",\"disclosureDate\":\"2030-01-01\"}]}",
              NULL, r, all);
    ok(rc == BF_EINVAL && strstr(all, "/withheld/0"), "withholding /ocid refused: %s", all);
}

#define CREATE_BODY                                                                                                \
    "{\"title\":\"Tactical UAV systems\",\"description\":\"Mini-UAV for land forces\",\"procedure\":\"restricted\"," \
    "\"mainProcurementCategory\":\"goods\",\"estimatedValue\":{\"amount\":12000000,\"currency\":\"EUR\"},"         \
    "\"capabilityArea\":\"dronesUav\",\"securityClassification\":\"restricted\",\"cpv\":\"35613000\","            \
    "\"buyerName\":\"Defence\",\"date\":\"2025-01-06\",\"plannedNoticeDate\":\"2025-02-03\","                    \
    "\"withheld\":[{\"path\":\"/awards/0/value\",\"reason\":\"defenceSecurity\",\"disclosureDate\":\"2027-01-01\"}]}"

static void test_walk(void)
{
    struct proc p = { 0 }, q = { 0 };
    char r[96], all[512];
    json_t *rel = NULL, *v, *dl;
    char *text = NULL, *text2 = NULL;
    const char *s, *kind;
    char date[11];
    int rc;

    rc = step(&p, PROC_STEP_CREATE, CREATE_BODY, &rel, r, all);
    ok(rc == 0 && p.state == PROC_S_PLANNING && p.seq == 1, "restricted procedure created (%s)", all);
    ok(!strcmp(json_string_value(json_object_get(rel, "id")), "ocds-belfry-BE-MOD-000001-001-planning"),
       "planning release id %s", json_string_value(json_object_get(rel, "id")));
    ok(!json_object_get(rel, "withheld"), "withheld /awards/0/value not declared before an award exists");
    ok(!strcmp(json_string_value(json_object_get(json_object_get(rel, "tender"), "procurementMethod")), "selective"),
       "restricted maps to procurementMethod selective");
    json_decref(rel);
    ok(proc_next_due(&p, &s, date, &kind) == 0 && !strcmp(s, "tender") && !strcmp(date, "2025-02-03"),
       "next due: tender, planned %s", date);

    refuse(&p, PROC_STEP_AWARD, "{\"bidId\":\"B1\"}", "lifecycle/step-not-allowed-in-state", "award in planning");
    refuse(&p, PROC_STEP_INVITATION, "{\"tenderDeadline\":\"2025-03-01\",\"candidates\":[{\"id\":\"a\",\"name\":\"A\"}]}",
           "lifecycle/step-not-allowed-in-state", "invitation before the contract notice");
    refuse(&p, PROC_STEP_TENDER, "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-03-05\"}",
           "dir2009-81/art33-min-time-requests", "30 days for requests on a paper notice");
    refuse(&p, PROC_STEP_TENDER, "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-03-04\",\"electronicNotice\":true}",
           "dir2009-81/art33-min-time-requests", "29 days for requests on an electronic notice");
    refuse(&p, PROC_STEP_TENDER, "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-02-20\",\"accelerated\":true}",
           "dir2009-81/art33-urgency", "accelerated without a reason");
    refuse(&p, PROC_STEP_TENDER, "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-02-17\",\"accelerated\":true,"
           "\"urgencyJustification\":\"crisis\"}", "dir2009-81/art33-min-time-requests",
           "14 days when accelerated (needs 15 on paper)");
    refuse(&p, PROC_STEP_TENDER, "{\"date\":\"2025-01-05\",\"requestsDeadline\":\"2025-03-05\",\"electronicNotice\":true}",
           "lifecycle/chronology", "notice dated before the planning release");
    accept(&p, PROC_STEP_TENDER, "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-03-05\",\"electronicNotice\":true,"
           "\"electronicDocuments\":true}", "tender", "requests", "contract notice with 30 days (electronic)");

    refuse(&p, PROC_STEP_BIDS, "{\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"a\",\"name\":\"A\"},"
           "\"value\":{\"amount\":1,\"currency\":\"EUR\"},\"date\":\"2025-03-01\"}]}",
           "lifecycle/step-not-allowed-in-state", "bids before invitations");
    refuse(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-03-01\",\"tenderDeadline\":\"2025-05-01\",\"candidates\":["
           "{\"id\":\"BE-1\",\"name\":\"A\"},{\"id\":\"FR-2\",\"name\":\"B\"},{\"id\":\"NL-3\",\"name\":\"C\"}]}",
           "lifecycle/invitation-before-requests-deadline", "invitation while requests are open");
    refuse(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-03-10\",\"tenderDeadline\":\"2025-05-01\",\"candidates\":["
           "{\"id\":\"BE-1\",\"name\":\"A\"},{\"id\":\"FR-2\",\"name\":\"B\"}]}",
           "dir2009-81/art38-min-candidates", "two candidates");
    refuse(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-03-10\",\"tenderDeadline\":\"2025-04-13\",\"candidates\":["
           "{\"id\":\"BE-1\",\"name\":\"A\"},{\"id\":\"FR-2\",\"name\":\"B\"},{\"id\":\"NL-3\",\"name\":\"C\"}]}",
           "dir2009-81/art33-min-time-tenders", "34 days for tenders (35 with electronic documents)");
    refuse(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-03-10\",\"tenderDeadline\":\"2025-03-09\",\"candidates\":["
           "{\"id\":\"BE-1\",\"name\":\"A\"},{\"id\":\"FR-2\",\"name\":\"B\"},{\"id\":\"NL-3\",\"name\":\"C\"}]}",
           "lifecycle/deadline-order", "tender deadline before the invitation");
    accept(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-03-10\",\"tenderDeadline\":\"2025-04-14\",\"candidates\":["
           "{\"id\":\"BE-1\",\"name\":\"A\"},{\"id\":\"FR-2\",\"name\":\"B\"},{\"id\":\"NL-3\",\"name\":\"C\"}]}",
           "tenderUpdate", "tendering", "three candidates invited, 35 days");
    dl = proc_deadlines(&p);
    ok(!strcmp(json_string_value(json_object_get(dl, "tenderDeadlineEarliest")), "2025-04-14") &&
           !strcmp(json_string_value(json_object_get(dl, "additionalInformationBy")), "2025-04-08"),
       "deadlines: earliest tender deadline 2025-04-14, additional information by 2025-04-08");
    json_decref(dl);

    refuse(&p, PROC_STEP_CLARIFICATIONS, "{\"date\":\"2025-04-10\",\"question\":\"q\",\"answer\":\"a\"}",
           "dir2009-81/art33-additional-information", "answer 4 days before the deadline");
    accept(&p, PROC_STEP_CLARIFICATIONS, "{\"date\":\"2025-04-01\",\"question\":\"Range?\",\"answer\":\"30 km\"}",
           "tenderUpdate", "tendering", "clarification 13 days before");
    refuse(&p, PROC_STEP_AMENDMENTS, "{\"date\":\"2025-04-02\",\"rationale\":\"r\",\"tenderDeadline\":\"2025-04-13\"}",
           "dir2009-81/art33-min-time-tenders", "amendment shortening the deadline below the minimum");
    rc = step(&p, PROC_STEP_AMENDMENTS, "{\"date\":\"2025-04-02\",\"rationale\":\"r\",\"requestsDeadline\":"
              "\"2025-04-13\"}", NULL, r, all);
    ok(rc == BF_EINVAL && !strcmp(all, "/requestsDeadline") && p.seq == 4,
       "changing the requests deadline after invitations is an input error on /requestsDeadline (%s)", all);
    accept(&p, PROC_STEP_AMENDMENTS, "{\"date\":\"2025-04-02\",\"rationale\":\"more time\",\"tenderDeadline\":"
           "\"2025-04-20\"}", "tenderAmendment", "tendering", "deadline extended to 2025-04-20");
    refuse(&p, PROC_STEP_AWARD, "{\"date\":\"2025-04-19\",\"bidId\":\"B1\"}", "lifecycle/award-before-tender-deadline",
           "award before the tender deadline");
    refuse(&p, PROC_STEP_BIDS, "{\"date\":\"2025-04-15\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"BE-1\","
           "\"name\":\"A\"},\"value\":{\"amount\":10000000,\"currency\":\"EUR\"},\"date\":\"2025-04-14\"}]}",
           "lifecycle/bids-before-opening", "bids published before the deadline");
    refuse(&p, PROC_STEP_BIDS, "{\"date\":\"2025-04-21\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"US-9\","
           "\"name\":\"Z\"},\"value\":{\"amount\":10000000,\"currency\":\"EUR\"},\"date\":\"2025-04-14\"}]}",
           "lifecycle/bid-from-uninvited", "bid from an uninvited company");
    refuse(&p, PROC_STEP_BIDS, "{\"date\":\"2025-04-22\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"BE-1\","
           "\"name\":\"A\"},\"value\":{\"amount\":10000000,\"currency\":\"EUR\"},\"date\":\"2025-04-21\"}]}",
           "lifecycle/bid-after-deadline", "late bid recorded as valid");
    accept(&p, PROC_STEP_BIDS, "{\"date\":\"2025-04-21\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"BE-1\","
           "\"name\":\"A\"},\"value\":{\"amount\":10000000,\"currency\":\"EUR\"},\"date\":\"2025-04-14\"},"
           "{\"id\":\"B2\",\"tenderer\":{\"id\":\"FR-2\",\"name\":\"B\"},\"value\":{\"amount\":9500000,"
           "\"currency\":\"EUR\"},\"date\":\"2025-04-18\"},{\"id\":\"B3\",\"tenderer\":{\"id\":\"NL-3\",\"name\":"
           "\"C\"},\"value\":{\"amount\":9000000,\"currency\":\"EUR\"},\"date\":\"2025-04-19\",\"status\":"
           "\"disqualified\"}]}", "tenderUpdate", "tendering", "three bids opened");
    refuse(&p, PROC_STEP_BIDS, "{\"date\":\"2025-04-22\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"BE-1\","
           "\"name\":\"A\"},\"value\":{\"amount\":1,\"currency\":\"EUR\"},\"date\":\"2025-04-14\"}]}",
           "lifecycle/duplicate-id", "bid id reused");
    refuse(&p, PROC_STEP_AWARD, "{\"date\":\"2025-05-02\",\"bidId\":\"B3\"}", "lifecycle/award-to-valid-bid",
           "award to a disqualified bid");
    refuse(&p, PROC_STEP_CONTRACT, "{\"dateSigned\":\"2025-05-13\"}", "lifecycle/step-not-allowed-in-state",
           "contract before award");
    accept(&p, PROC_STEP_AWARD, "{\"date\":\"2025-05-02\",\"bidId\":\"B2\"}", "award", "awarded", "award to B2");
    ok(proc_next_due(&p, &s, date, &kind) == 0 && !strcmp(s, "contract") && !strcmp(date, "2025-05-13"),
       "next due: contract not before %s (10-day standstill)", date);

    refuse(&p, PROC_STEP_CONTRACT, "{\"date\":\"2025-05-20\",\"dateSigned\":\"2025-05-12\"}",
           "dir2009-81/art57-standstill", "contract signed on the 10th day of standstill");
    refuse(&p, PROC_STEP_CONTRACT, "{\"date\":\"2025-07-01\",\"dateSigned\":\"2025-05-13\"}",
           "dir2009-81/art30-award-notice", "award notice 49 days after the contract");
    accept(&p, PROC_STEP_CONTRACT, "{\"date\":\"2025-06-30\",\"dateSigned\":\"2025-05-13\",\"period\":{"
           "\"startDate\":\"2025-06-01\",\"endDate\":\"2026-05-31\"}}", "contract", "contracted",
           "contract with its award notice on day 48");
    accept(&p, PROC_STEP_MILESTONES, "{\"date\":\"2025-07-01\",\"milestones\":[{\"id\":\"M1\",\"title\":\"First lot\","
           "\"dueDate\":\"2025-09-01\"}]}", "implementation", "contracted", "milestone scheduled");
    ok(proc_next_due(&p, &s, date, &kind) == 0 && !strcmp(s, "milestones") && !strcmp(date, "2025-09-01") &&
           !strcmp(kind, "due"), "next due: milestone M1 on %s", date);
    refuse(&p, PROC_STEP_TRANSACTIONS, "{\"date\":\"2025-07-02\",\"id\":\"T1\",\"value\":{\"amount\":9500000.01,"
           "\"currency\":\"EUR\"}}", "lifecycle/payments-exceed-contract", "payment above the contract value");
    accept(&p, PROC_STEP_TRANSACTIONS, "{\"date\":\"2025-09-02\",\"id\":\"T1\",\"value\":{\"amount\":4750000,"
           "\"currency\":\"EUR\"}}", "implementation", "contracted", "first payment");
    refuse(&p, PROC_STEP_TRANSACTIONS, "{\"date\":\"2025-09-03\",\"id\":\"T1\",\"value\":{\"amount\":1,"
           "\"currency\":\"EUR\"}}", "lifecycle/duplicate-id", "payment id reused");
    refuse(&p, PROC_STEP_AMENDMENT, "{\"date\":\"2025-10-01\",\"rationale\":\"more\",\"value\":{\"amount\":15200001,"
           "\"currency\":\"EUR\"}}", "dir2009-81/art28-additional-works", "amendment adding more than 50%");
    refuse(&p, PROC_STEP_AMENDMENT, "{\"date\":\"2025-10-01\",\"rationale\":\"less\",\"value\":{\"amount\":4000000,"
           "\"currency\":\"EUR\"}}", "lifecycle/value-below-payments", "amendment below what was paid");
    accept(&p, PROC_STEP_AMENDMENT, "{\"date\":\"2025-10-01\",\"rationale\":\"spares\",\"value\":{\"amount\":11400000,"
           "\"currency\":\"EUR\"}}", "contractAmendment", "contracted", "amendment +20%");
    accept(&p, PROC_STEP_MILESTONES, "{\"date\":\"2025-10-02\",\"milestones\":[{\"id\":\"M1\",\"title\":\"First lot\","
           "\"dueDate\":\"2025-09-01\",\"status\":\"met\",\"dateMet\":\"2025-09-01\"}]}", "implementation",
           "contracted", "milestone met (updated by id)");

    ok(proc_serialize(&p, &text, NULL) == 0 && proc_deserialize(p.ocid, p.buyer, text, &q, NULL) == 0 &&
           proc_serialize(&q, &text2, NULL) == 0 && !strcmp(text, text2),
       "serialise, deserialise, serialise gives the same text");
    free(text);
    free(text2);
    proc_free(&q);

    rc = step(&p, PROC_STEP_TRANSACTIONS, "{\"date\":\"2026-01-15\",\"id\":\"T2\",\"value\":{\"amount\":6650000,"
              "\"currency\":\"EUR\"},\"final\":true}", &rel, r, all);
    ok(rc == 0 && p.state == PROC_S_COMPLETE, "final payment completes the procedure (%s)", all);
    ok(!strcmp(json_string_value(json_object_get(json_array_get(json_object_get(rel, "contracts"), 0), "status")),
               "terminated"), "contract status terminated (completed)");
    v = json_object_get(rel, "withheld");
    ok(json_array_size(v) == 7 && !strcmp(json_string_value(json_object_get(json_array_get(v, 0), "path")),
                                          "/awards/0/value"),
       "withheld award value declared, with the 6 values that would tell it (3 bids, contract, 2 payments): %zu",
       json_array_size(v));
    ok(json_array_size(json_object_get(json_object_get(rel, "bids"), "details")) == 3 &&
           json_array_size(json_object_get(json_object_get(json_array_get(json_object_get(rel, "contracts"), 0),
                                                           "implementation"), "transactions")) == 2,
       "final release carries 3 bids and 2 transactions");
    json_decref(rel);
    ok(p.seq == 13, "13 releases in all (got %d)", p.seq);
    refuse(&p, PROC_STEP_TRANSACTIONS, "{\"date\":\"2026-01-16\",\"id\":\"T3\",\"value\":{\"amount\":1,"
           "\"currency\":\"EUR\"}}", "lifecycle/step-not-allowed-in-state", "payment after completion");
    refuse(&p, PROC_STEP_DISCLOSURE, "{\"date\":\"2026-01-16\",\"paths\":[\"/tender/value\"]}",
           "lifecycle/not-withheld", "disclosing a field that is not withheld");
    rc = step(&p, PROC_STEP_DISCLOSURE, "{\"date\":\"2026-01-16\",\"paths\":[\"/awards/0/value\"]}", &rel, r,
              all);
    v = json_array_get(json_object_get(rel, "withheld"), 0);
    ok(rc == 0 && json_is_true(json_object_get(v, "disclosed")) &&
           json_array_size(json_object_get(rel, "withheld")) == 7 &&
           json_is_number(json_object_get(proc_pointer_value(rel, "awards"), "amount")),
       "award value disclosed: entry marked disclosed, value in the release (%s)", all);
    json_decref(rel);
    refuse(&p, PROC_STEP_DISCLOSURE, "{\"date\":\"2026-01-17\",\"paths\":[\"/awards/0/value\"]}",
           "lifecycle/step-not-allowed-in-state", "nothing left to disclose");
    v = proc_view(&p);
    ok(json_is_null(json_object_get(v, "nextDue")) && json_array_size(json_object_get(v, "allowedSteps")) == 0,
       "complete: nothing due, no step allowed");
    json_decref(v);
    proc_free(&p);
}

static void test_nopub_and_cancel(void)
{
    struct proc p = { 0 };
    char r[96], all[512];
    int rc;

    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"Spares\",\"procedure\":\"negotiatedWithoutPublication\","
              "\"article28Ground\":\"art28-3a\",\"article28Justification\":\"compatibility with fleet\","
              "\"mainProcurementCategory\":\"goods\",\"estimatedValue\":{\"amount\":2000000,\"currency\":\"EUR\"},"
              "\"capabilityArea\":\"land\",\"date\":\"2025-02-01\"}", NULL, r, all);
    ok(rc == 0, "negotiated without publication on art28-3a (%s)", all);
    refuse(&p, PROC_STEP_TENDER, "{\"requestsDeadline\":\"2025-04-01\"}", "lifecycle/step-not-allowed-in-state",
           "no contract notice in a negotiated procedure without publication");
    accept(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-02-02\",\"tenderDeadline\":\"2025-02-10\",\"candidates\":["
           "{\"id\":\"DE-1\",\"name\":\"OEM\"}]}", "tender", "tendering", "single supplier invited, short deadline");
    accept(&p, PROC_STEP_BIDS, "{\"date\":\"2025-02-11\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"DE-1\","
           "\"name\":\"OEM\"},\"value\":{\"amount\":1900000,\"currency\":\"EUR\"},\"date\":\"2025-02-09\"}]}",
           "tenderUpdate", "tendering", "one bid");
    accept(&p, PROC_STEP_AWARD, "{\"date\":\"2025-02-12\",\"bidId\":\"B1\"}", "award", "awarded", "award");
    accept(&p, PROC_STEP_CONTRACT, "{\"date\":\"2025-02-12\",\"dateSigned\":\"2025-02-12\"}", "contract", "contracted",
           "no standstill without publication: signed the same day");
    proc_free(&p);

    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"Small\",\"procedure\":\"negotiatedWithoutPublication\","
              "\"article28Ground\":\"art28-2a\",\"article28Justification\":\"R&D study\","
              "\"mainProcurementCategory\":\"services\",\"estimatedValue\":{\"amount\":100000,\"currency\":\"EUR\"},"
              "\"capabilityArea\":\"cyberElectronicWarfare\",\"date\":\"2025-02-01\"}", NULL, r, all);
    ok(rc == 0, "below-threshold negotiated procedure");
    accept(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-02-02\",\"tenderDeadline\":\"2025-02-10\",\"candidates\":["
           "{\"id\":\"BE-7\",\"name\":\"X\"}]}", "tender", "tendering", "invited");
    accept(&p, PROC_STEP_BIDS, "{\"date\":\"2025-02-11\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"BE-7\","
           "\"name\":\"X\"},\"value\":{\"amount\":600000,\"currency\":\"EUR\"},\"date\":\"2025-02-09\"}]}",
           "tenderUpdate", "tendering", "bid above the threshold");
    refuse(&p, PROC_STEP_AWARD, "{\"date\":\"2025-02-12\",\"bidId\":\"B1\"}", "dir2009-81/art9-estimated-value",
           "award at EUR 600 000 after an estimate below EUR 443 000");
    accept(&p, PROC_STEP_CANCELLATION, "{\"date\":\"2025-02-13\",\"rationale\":\"restart under the Directive\"}",
           "tenderCancellation", "cancelled", "cancelled");
    refuse(&p, PROC_STEP_AWARD, "{\"date\":\"2025-02-14\",\"bidId\":\"B1\"}", "lifecycle/step-not-allowed-in-state",
           "award after cancellation");
    proc_free(&p);
}

/* Competitive dialogue: the 37-day limit for requests applies, the 40-day
 * limit for tenders does not (restricted procedure only); a prior
 * information notice and urgency on a restricted procedure; the 15-day
 * standstill after a decision sent by other than electronic means. */
static void test_other_procedures(void)
{
    struct proc p = { 0 };
    char r[96], all[512];
    int rc;

    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"Secure radio\",\"procedure\":\"competitiveDialogue\","
              "\"mainProcurementCategory\":\"services\",\"estimatedValue\":{\"amount\":30000000,\"currency\":\"EUR\"},"
              "\"capabilityArea\":\"cyberElectronicWarfare\",\"date\":\"2025-01-06\"}", NULL, r, all);
    ok(rc == 0, "competitive dialogue created (%s)", all);
    refuse(&p, PROC_STEP_TENDER, "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-03-11\"}",
           "dir2009-81/art33-min-time-requests", "dialogue: 36 days for requests");
    accept(&p, PROC_STEP_TENDER, "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-03-12\"}", "tender", "requests",
           "dialogue: 37 days for requests");
    accept(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-03-13\",\"tenderDeadline\":\"2025-04-01\",\"candidates\":["
           "{\"id\":\"A\",\"name\":\"A\"},{\"id\":\"B\",\"name\":\"B\"},{\"id\":\"C\",\"name\":\"C\"}]}",
           "tenderUpdate", "tendering", "dialogue: 19 days for final tenders (no Art. 33(3) limit)");
    accept(&p, PROC_STEP_BIDS, "{\"date\":\"2025-04-02\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"A\","
           "\"name\":\"A\"},\"value\":{\"amount\":29000000,\"currency\":\"EUR\"},\"date\":\"2025-03-30\"}]}",
           "tenderUpdate", "tendering", "one final tender");
    accept(&p, PROC_STEP_AWARD, "{\"date\":\"2025-04-10\",\"bidId\":\"B1\",\"notification\":\"other\"}", "award",
           "awarded", "award notified by post");
    refuse(&p, PROC_STEP_CONTRACT, "{\"date\":\"2025-04-25\",\"dateSigned\":\"2025-04-25\"}",
           "dir2009-81/art57-standstill", "signed on day 15 of a 15-day standstill");
    accept(&p, PROC_STEP_CONTRACT, "{\"date\":\"2025-04-26\",\"dateSigned\":\"2025-04-26\"}", "contract",
           "contracted", "signed on day 16");
    accept(&p, PROC_STEP_TERMINATION, "{\"date\":\"2025-09-01\",\"rationale\":\"supplier in default\"}",
           "contractTermination", "terminated", "terminated early");
    proc_free(&p);

    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"Ammunition\",\"procedure\":\"restricted\","
              "\"mainProcurementCategory\":\"goods\",\"estimatedValue\":{\"amount\":5000000,\"currency\":\"EUR\"},"
              "\"capabilityArea\":\"ammunition\",\"date\":\"2025-01-06\"}", NULL, r, all);
    accept(&p, PROC_STEP_TENDER, "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-03-12\","
           "\"priorInformationNotice\":true}", "tender", "requests", "restricted after a prior information notice");
    refuse(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-03-13\",\"tenderDeadline\":\"2025-04-17\",\"candidates\":["
           "{\"id\":\"A\",\"name\":\"A\"},{\"id\":\"B\",\"name\":\"B\"},{\"id\":\"C\",\"name\":\"C\"}]}",
           "dir2009-81/art33-min-time-tenders", "35 days after a PIN (36 needed)");
    accept(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-03-13\",\"tenderDeadline\":\"2025-04-18\",\"candidates\":["
           "{\"id\":\"A\",\"name\":\"A\"},{\"id\":\"B\",\"name\":\"B\"},{\"id\":\"C\",\"name\":\"C\"}]}",
           "tenderUpdate", "tendering", "36 days after a PIN");
    proc_free(&p);

    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"Urgent spares\",\"procedure\":\"restricted\","
              "\"mainProcurementCategory\":\"goods\",\"estimatedValue\":{\"amount\":5000000,\"currency\":\"EUR\"},"
              "\"capabilityArea\":\"land\",\"date\":\"2025-01-06\"}", NULL, r, all);
    accept(&p, PROC_STEP_TENDER, "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-02-13\",\"accelerated\":true,"
           "\"electronicNotice\":true,\"urgencyJustification\":\"operational crisis\"}", "tender", "requests",
           "accelerated, electronic: 10 days for requests");
    refuse(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-02-14\",\"tenderDeadline\":\"2025-02-23\",\"candidates\":["
           "{\"id\":\"A\",\"name\":\"A\"},{\"id\":\"B\",\"name\":\"B\"}],\"insufficientCandidates\":true}",
           "dir2009-81/art33-min-time-tenders", "accelerated: 9 days for tenders");
    accept(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-02-14\",\"tenderDeadline\":\"2025-02-24\",\"candidates\":["
           "{\"id\":\"A\",\"name\":\"A\"},{\"id\":\"B\",\"name\":\"B\"}],\"insufficientCandidates\":true}",
           "tenderUpdate", "tendering", "accelerated: 10 days, two candidates when fewer applied");
    refuse(&p, PROC_STEP_CLARIFICATIONS, "{\"date\":\"2025-02-21\",\"question\":\"q\",\"answer\":\"a\"}",
           "dir2009-81/art33-additional-information", "accelerated: answer 3 days before (4 needed)");
    accept(&p, PROC_STEP_CLARIFICATIONS, "{\"date\":\"2025-02-20\",\"question\":\"q\",\"answer\":\"a\"}",
           "tenderUpdate", "tendering", "accelerated: answer 4 days before");
    proc_free(&p);
}

/* Dates as officers write them: a bare deadline runs to the end of its
 * day; a bare act date on the day of the last release is "that day". */
static void test_bare_dates(void)
{
    struct proc p = { 0 };
    char r[96], all[512];
    json_t *rel = NULL;
    int rc;

    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"Same day\",\"procedure\":\"restricted\","
              "\"mainProcurementCategory\":\"goods\",\"estimatedValue\":{\"amount\":5000000,\"currency\":\"EUR\"},"
              "\"capabilityArea\":\"land\",\"date\":\"2025-02-03T15:00:00Z\"}", NULL, r, all);
    ok(rc == 0, "created at 15:00");
    rc = step(&p, PROC_STEP_TENDER, "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-03-12\"}", &rel, r, all);
    ok(rc == 0 && !strcmp(json_string_value(json_object_get(rel, "date")), "2025-02-03T15:00:00Z"),
       "a notice dated 2025-02-03 the same day is accepted and dated with the plan's instant (%s)", all);
    ok(!strcmp(json_string_value(json_object_get(json_object_get(json_object_get(rel, "tender"),
                                                                  "participationRequestPeriod"), "endDate")),
               "2025-03-12T23:59:59Z"), "a bare deadline is the end of its day");
    json_decref(rel);
    refuse(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-03-12T12:00:00Z\",\"tenderDeadline\":\"2025-04-22\","
           "\"candidates\":[{\"id\":\"A\",\"name\":\"A\"},{\"id\":\"B\",\"name\":\"B\"},{\"id\":\"C\","
           "\"name\":\"C\"}]}", "lifecycle/invitation-before-requests-deadline",
           "invitation at noon on the last day for requests");
    accept(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-03-13\",\"tenderDeadline\":\"2025-04-22\",\"candidates\":["
           "{\"id\":\"A\",\"name\":\"A\"},{\"id\":\"B\",\"name\":\"B\"},{\"id\":\"C\",\"name\":\"C\"}]}",
           "tenderUpdate", "tendering", "invitation the next day");
    accept(&p, PROC_STEP_BIDS, "{\"date\":\"2025-04-23\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"A\","
           "\"name\":\"A\"},\"value\":{\"amount\":1,\"currency\":\"EUR\"},\"date\":\"2025-04-22T18:30:00Z\"}]}",
           "tenderUpdate", "tendering", "a tender received at 18:30 on the deadline day is on time");
    proc_free(&p);
}

static int has_role(const json_t *rel, const char *id, const char *role)
{
    size_t i, j;
    json_t *p, *r;
    json_array_foreach(json_object_get(rel, "parties"), i, p) {
        if (strcmp(json_string_value(json_object_get(p, "id")), id))
            continue;
        json_array_foreach(json_object_get(p, "roles"), j, r)
            if (!strcmp(json_string_value(r), role))
                return 1;
    }
    return 0;
}

static int withheld_count(const json_t *rel, int disclosed)
{
    size_t i;
    json_t *e;
    int n = 0;
    json_array_foreach(json_object_get(rel, "withheld"), i, e)
        n += json_is_true(json_object_get(e, "disclosed")) == disclosed;
    return n;
}

/* A withheld winner: the award's suppliers, its related bid and the
 * payees are withheld together, the parties list does not name the
 * supplier until the disclosure, which opens all of them. */
static void test_withheld_winner(void)
{
    struct proc p = { 0 };
    char r[96], all[512];
    json_t *rel = NULL;
    int rc;

    rc = step(&p, PROC_STEP_CREATE, "{\"title\":\"Sensors\",\"procedure\":\"restricted\","
              "\"mainProcurementCategory\":\"goods\",\"estimatedValue\":{\"amount\":5000000,\"currency\":\"EUR\"},"
              "\"capabilityArea\":\"land\",\"date\":\"2025-01-06\",\"withheld\":[{\"path\":\"/awards/0/suppliers\","
              "\"reason\":\"defenceSecurity\",\"disclosureDate\":\"2028-01-01\"}]}", NULL, r, all);
    ok(rc == 0, "procedure with a withheld winner (%s)", all);
    accept(&p, PROC_STEP_TENDER, "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-03-12\"}", "tender", "requests",
           "notice");
    accept(&p, PROC_STEP_INVITATION, "{\"date\":\"2025-03-13\",\"tenderDeadline\":\"2025-04-22\",\"candidates\":["
           "{\"id\":\"A\",\"name\":\"Alpha\"},{\"id\":\"B\",\"name\":\"Beta\"},{\"id\":\"C\",\"name\":\"Gamma\"}]}",
           "tenderUpdate", "tendering", "invitation");
    accept(&p, PROC_STEP_BIDS, "{\"date\":\"2025-04-23\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"A\","
           "\"name\":\"Alpha\"},\"value\":{\"amount\":4000000,\"currency\":\"EUR\"},\"date\":\"2025-04-20\"},"
           "{\"id\":\"B2\",\"tenderer\":{\"id\":\"B\",\"name\":\"Beta\"},\"value\":{\"amount\":4100000,"
           "\"currency\":\"EUR\"},\"date\":\"2025-04-21\"}]}", "tenderUpdate", "tendering", "two bids");
    rc = step(&p, PROC_STEP_AWARD, "{\"date\":\"2025-05-02\",\"bidId\":\"B2\"}", &rel, r, all);
    ok(rc == 0 && withheld_count(rel, 0) == 1 && !has_role(rel, "B", "supplier") &&
           !json_object_get(json_array_get(json_object_get(rel, "awards"), 0), "relatedBid"),
       "award: the supplier withheld, no relatedBid, no party named supplier (%d entries)", withheld_count(rel, 0));
    json_decref(rel);
    accept(&p, PROC_STEP_CONTRACT, "{\"date\":\"2025-05-20\",\"dateSigned\":\"2025-05-20\"}", "contract",
           "contracted", "contract");
    rc = step(&p, PROC_STEP_TRANSACTIONS, "{\"date\":\"2025-06-01\",\"id\":\"T1\",\"value\":{\"amount\":100000,"
              "\"currency\":\"EUR\"}}", &rel, r, all);
    ok(rc == 0 && withheld_count(rel, 0) == 2, "payment: its payee is withheld too (%d entries)", withheld_count(rel, 0));
    json_decref(rel);
    rc = step(&p, PROC_STEP_DISCLOSURE, "{\"date\":\"2025-06-02\",\"paths\":[\"/contracts/0/implementation/"
              "transactions/0/payee\"]}", &rel, r, all);
    ok(rc == 0 && withheld_count(rel, 1) == 2 && withheld_count(rel, 0) == 0 && has_role(rel, "B", "supplier") &&
           !strcmp(json_string_value(json_object_get(json_array_get(json_object_get(rel, "awards"), 0), "relatedBid")),
                   "B2"),
       "disclosing one member discloses the winner group (2 opened), names the supplier and its bid (%s)", all);
    json_decref(rel);
    rc = step(&p, PROC_STEP_TRANSACTIONS, "{\"date\":\"2025-07-01\",\"id\":\"T2\",\"value\":{\"amount\":100000,"
              "\"currency\":\"EUR\"}}", &rel, r, all);
    ok(rc == 0 && !json_object_get(rel, "withheld"), "after the disclosure new payees are public");
    json_decref(rel);
    proc_free(&p);
}

static void test_rules_table(void)
{
    const struct proc_rules *r = proc_rules_for(proc_days_from_civil(2025, 6, 1));
    const struct proc_threshold *th = NULL;
    struct proc_date d;
    char day[11];

    ok(r && !strcmp(r->id, "dir2009-81"), "a rule set is in force in 2025");
    int64_t goods = proc_rules_threshold(r, proc_days_from_civil(2025, 6, 1), PROC_GOODS, &th);
    ok(goods == 443000 && proc_rules_threshold(r, proc_days_from_civil(2024, 1, 1), PROC_WORKS, NULL) == 5538000,
       "2024-25: EUR 443 000 supplies, EUR 5 538 000 works (%s)", th ? th->source : "-");
    ok(proc_rules_threshold(r, proc_days_from_civil(2023, 12, 31), PROC_SERVICES, NULL) == 431000,
       "2023-12-31 falls in the 2022-23 period");
    ok(proc_rules_threshold(r, proc_days_from_civil(2026, 3, 1), PROC_GOODS, &th) == 432000 && th->provisional,
       "2026-27 period present and marked provisional");
    ok(proc_rules_threshold(r, proc_days_from_civil(2030, 1, 1), PROC_GOODS, NULL) == -1, "no period for 2030");
    ok(!proc_rules_for(proc_days_from_civil(2010, 1, 1)), "no rule set before 2011-08-21");
    ok(proc_min_requests_days(r, 0, 0) == 37 && proc_min_requests_days(r, 1, 0) == 30 &&
           proc_min_requests_days(r, 0, 1) == 15 && proc_min_requests_days(r, 1, 1) == 10,
       "requests: 37, 30 electronic, 15 urgent, 10 urgent electronic");
    ok(proc_min_tender_days(r, 0, 0, 0) == 40 && proc_min_tender_days(r, 1, 0, 0) == 35 &&
           proc_min_tender_days(r, 0, 1, 0) == 36 && proc_min_tender_days(r, 1, 1, 0) == 31 &&
           proc_min_tender_days(r, 1, 0, 1) == 10,
       "tenders: 40, 35 electronic docs, 36 after PIN, 31, 10 urgent");
    ok(proc_rules_ground(r, "art28-1c") && !proc_rules_ground(r, "28(9)"), "grounds table");
    ok(proc_rules_by_key("dir2009-81@2011.1") == r, "rule set found by its stored key");
    ok(proc_rules_ref(r, "dir2009-81/art33-min-time-tenders") != NULL, "rule ids are documented in the table");
    ok(proc_date_parse("2024-02-29", &d, NULL) == 0 && proc_date_parse("2025-02-29", &d, NULL) < 0 &&
           proc_date_parse("2025-01-01T10:00:00+02:00", &d, NULL) == 0 && d.t == proc_days_from_civil(2025, 1, 1) *
           86400 + 8 * 3600 && proc_date_parse("2025-1-01", &d, NULL) < 0,
       "dates: leap day, offsets, strict form");
    proc_day_format(proc_days_from_civil(2000, 2, 29) + 1, day);
    ok(!strcmp(day, "2000-03-01"), "day arithmetic across a leap day: %s", day);
}

#define PARSE(st, text) proc_body_parse(st, text, strlen(text), &b, &is)

static void test_parser(void)
{
    struct proc_issues is = { 0 };
    json_t *b = NULL;
    char deep[64];
    int rc;

    rc = PARSE(PROC_STEP_AWARD, "{\"bidId\":\"B1\",\"bidid\":\"x\"}");
    ok(rc == BF_EINVAL && is.n == 1 && !strcmp(is.v[0].field, "/bidid"), "unknown field named: %s", is.v[0].field);
    memset(&is, 0, sizeof is);
    rc = PARSE(PROC_STEP_AWARD, "{\"bidId\":\"B1\",\"bidId\":\"B2\"}");
    ok(rc == BF_EINVAL, "duplicate keys refused: %s", is.v[0].msg);
    memset(&is, 0, sizeof is);
    rc = PARSE(PROC_STEP_AWARD, "[1]");
    ok(rc == BF_EINVAL, "array body refused");
    memset(&is, 0, sizeof is);
    snprintf(deep, sizeof deep, "{\"bidId\":\"B\",\"value\":{\"amount\":[[[[[[[[[[1]]]]]]]]]]}}");
    rc = proc_body_parse(PROC_STEP_AWARD, deep, strlen(deep), &b, &is);
    ok(rc == BF_ELIMIT, "deep nesting refused (%d)", rc);
    memset(&is, 0, sizeof is);
    rc = PARSE(PROC_STEP_TRANSACTIONS, "{\"id\":\"T\",\"value\":{\"amount\":1e300,\"currency\":\"EUR\"}}");
    ok(rc == BF_EINVAL && strstr(is.v[0].field, "/value"), "huge amount refused");
    memset(&is, 0, sizeof is);
    rc = PARSE(PROC_STEP_CLARIFICATIONS, "{\"question\":\"a\\u0001\",\"answer\":\"b\"}");
    ok(rc == BF_EINVAL && !strcmp(is.v[0].field, "/question"), "control character refused");
    memset(&is, 0, sizeof is);
    rc = PARSE(PROC_STEP_AWARD, "{\"bidId\":\"B1\"}");
    ok(rc == 0 && b, "valid body parses");
    json_decref(b);
    ok(proc_step_parse("transactions") == PROC_STEP_TRANSACTIONS && proc_step_parse("nope") == -1, "step names");
}

int main(void)
{
    NOW = proc_days_from_civil(2026, 6, 1) * 86400;
    test_rules_table();
    test_parser();
    test_create_rules();
    test_walk();
    test_nopub_and_cancel();
    test_other_procedures();
    test_bare_dates();
    test_withheld_winner();
    ok(n_checked >= 20 && n_bad == 0, "all %d releases pass ocds_release_check and ocds_withhold (%d fail)", n_checked,
       n_bad);
    ok(n_disclosed == 2, "both disclosures open the earlier commitments (ocds_disclose + ocds_disclosure_check)");
    json_decref(last_pub);
    json_decref(last_side);
    return tap_done();
}
