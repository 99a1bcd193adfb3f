/*
 * rules_2009_81.c - Directive 2009/81/EC (defence and security
 * procurement) as data: the rule set every procedure is checked against.
 *
 * Nothing here is code: thresholds per two-year period, the procedures
 * and what each requires, the Art. 28 grounds for negotiating without
 * publication, the Art. 33 time limits with their reductions, the award
 * notice deadline, the standstill of the remedies chapter, and the id and
 * citation of every rule a refused step can name. A change of law is a
 * new rule set (new version, validity dates) appended to the list;
 * procedures keep the "id@version" they started under, so an old
 * procedure is never re-judged by newer rules.
 *
 * Sources: OJ L 216, 20.8.2009 (consolidated text on EUR-Lex,
 * CELEX 32009L0081); thresholds from the Commission Regulations cited per
 * period. The 2026-27 figures are marked provisional until checked
 * against the Official Journal.
 */
#include "common.h"
#include "proc/proc.h"

static const struct proc_threshold thresholds_2009_81[] = {
    { "2010-01-01", "2011-12-31", 387000, 4845000, "Regulation (EC) No 1177/2009", 0 },
    { "2012-01-01", "2013-12-31", 400000, 5000000, "Regulation (EU) No 1251/2011", 0 },
    { "2014-01-01", "2015-12-31", 414000, 5186000, "Regulation (EU) No 1336/2013", 0 },
    { "2016-01-01", "2017-12-31", 418000, 5225000, "Regulation (EU) 2015/2340", 0 },
    { "2018-01-01", "2019-12-31", 443000, 5548000, "Regulation (EU) 2017/2364", 0 },
    { "2020-01-01", "2021-12-31", 428000, 5350000, "Regulation (EU) 2019/1830", 0 },
    { "2022-01-01", "2023-12-31", 431000, 5382000, "Regulation (EU) 2021/1950", 0 },
    { "2024-01-01", "2025-12-31", 443000, 5538000, "Delegated Regulation (EU) 2023/2510", 0 },
    { "2026-01-01", "2027-12-31", 432000, 5404000, "Delegated Regulation (EU) 2025/2487", 1 },
};

static const struct proc_type_rule types_2009_81[] = {
    /* type, name, article, OCDS method, details, notice, ground, min candidates, 40-day limit, standstill */
    { PROC_RESTRICTED, "restricted", "Art. 25", "selective", "Restricted procedure (Directive 2009/81/EC Art. 25)",
      1, 0, 3, 1, 1 },
    { PROC_NEGOTIATED_PUB, "negotiatedWithPublication", "Art. 25", "selective",
      "Negotiated procedure with publication of a contract notice (Directive 2009/81/EC Art. 25)", 1, 0, 3, 0, 1 },
    { PROC_DIALOGUE, "competitiveDialogue", "Art. 27", "selective",
      "Competitive dialogue (Directive 2009/81/EC Art. 27)", 1, 0, 3, 0, 1 },
    { PROC_NEGOTIATED_NOPUB, "negotiatedWithoutPublication", "Art. 28", "limited",
      "Negotiated procedure without publication of a contract notice (Directive 2009/81/EC Art. 28)", 0, 1, 1, 0, 0 },
};

#define ALL (PROC_GOODS | PROC_WORKS | PROC_SERVICES)

static const struct proc_ground grounds_2009_81[] = {
    { "art28-1a", "Art. 28(1)(a)", ALL, "no tenders, no suitable tenders or no requests to participate in a prior restricted, "
                       "negotiated with publication or competitive dialogue procedure; terms not substantially altered" },
    { "art28-1b", "Art. 28(1)(b)", ALL, "only irregular or unacceptable tenders in a prior procedure; all qualified tenderers included" },
    { "art28-1c", "Art. 28(1)(c)", ALL, "urgency resulting from a crisis makes the time limits of the other procedures impossible" },
    { "art28-1d", "Art. 28(1)(d)", ALL, "extreme urgency brought about by unforeseeable events not attributable to the authority" },
    { "art28-1e", "Art. 28(1)(e)", ALL, "only one economic operator can perform, for technical reasons or because of exclusive rights" },
    { "art28-2a", "Art. 28(2)(a)", PROC_SERVICES, "research and development services (other than those excluded by Art. 13)" },
    { "art28-2b", "Art. 28(2)(b)", PROC_GOODS, "products manufactured purely for research and development" },
    { "art28-3a", "Art. 28(3)(a)", PROC_GOODS, "additional deliveries by the original supplier where a change would cause "
                              "incompatibility or disproportionate technical difficulties (generally at most 5 years)" },
    { "art28-3b", "Art. 28(3)(b)", PROC_GOODS, "supplies quoted and purchased on a commodity market" },
    { "art28-3c", "Art. 28(3)(c)", PROC_GOODS, "supplies on particularly advantageous terms from a supplier winding up its business "
                              "or from receivers" },
    { "art28-4a", "Art. 28(4)(a)", PROC_WORKS | PROC_SERVICES, "additional works or services made necessary by unforeseen "
                                              "circumstances (at most 50% of the original contract)" },
    { "art28-4b", "Art. 28(4)(b)", PROC_WORKS | PROC_SERVICES, "repetition of similar works or services announced in the original "
                                              "notice, within 5 years of the original contract" },
    { "art28-5", "Art. 28(5)", PROC_SERVICES, "air and maritime transport for forces deployed or to be deployed abroad" },
};

static const struct proc_rule_ref refs_2009_81[] = {
    { "dir2009-81/art8-thresholds", "Art. 8", "the Directive applies from the threshold in force on the date the "
                                              "procedure starts (supplies and services, works)" },
    { "dir2009-81/art9-estimated-value", "Art. 9", "the estimated value may not be set to keep a contract below the "
                                                   "threshold: an award at or above it needs a Directive procedure" },
    { "dir2009-81/art25-procedures", "Art. 25-28", "restricted, negotiated with publication, competitive dialogue, or "
                                                   "negotiated without publication on an Art. 28 ground; no open procedure" },
    { "dir2009-81/art28-ground", "Art. 28", "negotiated without publication needs one of the listed grounds, valid "
                                            "for the contract's category, and a justification" },
    { "dir2009-81/art28-additional-works", "Art. 28(4)(a)", "additional works or services may add at most 50% of the "
                                                            "original contract value; beyond that, a new procedure" },
    { "dir2009-81/art30-award-notice", "Art. 30(3)", "the contract award notice is sent within 48 days after the award "
                                                     "of the contract" },
    { "dir2009-81/art33-min-time-requests", "Art. 33(2),(4),(7)", "at least 37 days for requests to participate "
                                                                   "(30 if the notice is sent electronically; urgency: "
                                                                   "15, or 10 electronically)" },
    { "dir2009-81/art33-min-time-tenders", "Art. 33(3),(5),(6),(7)", "restricted procedure: at least 40 days from the "
                                                                      "invitation for tenders (36 after a prior "
                                                                      "information notice, never below 22; 5 fewer with "
                                                                      "electronic access to the documents; urgency: 10)" },
    { "dir2009-81/art33-urgency", "Art. 33(7)", "accelerated time limits need a stated reason of urgency" },
    { "dir2009-81/art33-additional-information", "Art. 33", "additional information is supplied at least 6 days (4 "
                                                            "when accelerated) before the tender deadline" },
    { "dir2009-81/art38-min-candidates", "Art. 38(3)", "at least 3 candidates are invited, unless fewer suitable "
                                                       "candidates applied" },
    { "dir2009-81/art57-standstill", "Art. 57(2)", "the contract is not concluded before 10 days (electronic "
                                                   "notification) or 15 days (other means) after the award decision" },
    { "lifecycle/step-not-allowed-in-state", "", "the step is not one of the steps allowed in the procedure's state" },
    { "lifecycle/chronology", "", "each step is dated no earlier than the previous one and than the acts it follows" },
    { "lifecycle/date-in-future", "", "a step is dated at most one day ahead of the server's clock" },
    { "lifecycle/invitation-before-requests-deadline", "", "candidates are invited only once the deadline for "
                                                           "requests to participate has passed" },
    { "lifecycle/deadline-order", "", "a deadline falls after the act that opens it" },
    { "lifecycle/amend-after-deadline", "", "the tender is amended or clarified only before its running deadline" },
    { "lifecycle/bids-before-opening", "", "bids are published only after the tender deadline" },
    { "lifecycle/bid-after-deadline", "", "a bid received after the tender deadline is not admitted" },
    { "lifecycle/bid-from-uninvited", "", "only invited candidates submit tenders" },
    { "lifecycle/duplicate-id", "", "ids of bids, transactions and milestones are unique within the procedure" },
    { "lifecycle/award-before-tender-deadline", "", "the award decision follows the tender deadline" },
    { "lifecycle/award-to-valid-bid", "", "the award goes to a recorded, valid bid" },
    { "lifecycle/payment-before-contract", "", "payments follow the signature of the contract" },
    { "lifecycle/payments-exceed-contract", "", "payments never exceed the contract's current value" },
    { "lifecycle/value-below-payments", "", "an amendment cannot set the value below what was already paid" },
    { "lifecycle/not-withheld", "", "only withheld fields can be disclosed" },
};

static const struct proc_rules rules_2009_81_v1 = {
    .id = "dir2009-81",
    .version = "2011.1",
    .title = "Directive 2009/81/EC on defence and security procurement",
    .valid_from = "2011-08-21",
    .valid_to = NULL,
    .source = "OJ L 216, 20.8.2009, p. 76 (CELEX 32009L0081), as amended; thresholds by Commission Regulation",
    .thresholds = thresholds_2009_81,
    .nthresholds = BF_ARRAY_LEN(thresholds_2009_81),
    .types = types_2009_81,
    .ntypes = BF_ARRAY_LEN(types_2009_81),
    .grounds = grounds_2009_81,
    .ngrounds = BF_ARRAY_LEN(grounds_2009_81),
    .lim = {
        .requests = 37,
        .requests_electronic_cut = 7,
        .requests_urgent = 15,
        .requests_urgent_electronic = 10,
        .tenders = 40,
        .tenders_pin = 36,
        .tenders_floor = 22,
        .tenders_electronic_cut = 5,
        .tenders_urgent = 10,
        .additional_info = 6,
        .additional_info_urgent = 4,
        .award_notice = 48,
        .standstill_electronic = 10,
        .standstill_other = 15,
        .additional_works_cap_pct = 50,
    },
    .refs = refs_2009_81,
    .nrefs = BF_ARRAY_LEN(refs_2009_81),
};

const struct proc_rules *const *proc_rules_all(void)
{
    static const struct proc_rules *const all[] = { &rules_2009_81_v1, NULL };
    return all;
}
