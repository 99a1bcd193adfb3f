/*
 * proc_body.c - the step request parser: bounded JSON text in, a checked
 * body object out, or a list of issues naming each bad field by JSON
 * pointer.
 *
 * Each step has a field table (data, below). A body must be one JSON
 * object, at most PROC_BODY_MAX bytes and PROC_BODY_DEPTH deep, without
 * duplicate keys or unknown fields (a typo must not silently drop a
 * value), with every required field present and every value of its
 * declared kind. Amounts are EUR (thresholds are in EUR) and finite,
 * between 0 and 10^15. Strings are UTF-8 (jansson checks), without
 * control characters except newline and tab in free text. Semantic and
 * legal checks are proc_machine.c's: this file only guarantees shapes.
 */
#include "common.h"
#include "proc/proc.h"

enum fkind { F_STR, F_TEXT, F_DATE, F_BOOL, F_AMOUNT, F_ENUM, F_LIST, F_STRLIST, F_PERIOD, F_PARTY };

struct field {
    const char *name;
    enum fkind kind;
    int required;
    size_t max;                 /* string bytes (F_STR) */
    const char *const *values;  /* F_ENUM */
    const struct field *sub;    /* F_LIST: fields of each item (NULL-name terminated) */
    const char *help;
};

#define END { NULL, 0, 0, 0, NULL, NULL, NULL }
#define DATE_FIELD { "date", F_DATE, 0, 0, NULL, NULL, "date of this act (default: now); releases are dated by it" }

static const char *const CATEGORIES[] = { "goods", "works", "services", NULL };
static const char *const BID_STATUS[] = { "valid", "disqualified", "withdrawn", NULL };
static const char *const NOTIFICATION[] = { "electronic", "other", NULL };
static const char *const MILESTONE_STATUS[] = { "scheduled", "met", "notMet", "partiallyMet", NULL };
/* Codelists of ext/defence (release-schema.json), checked again by
 * ocds_release_check: listed here so a form can offer them and an error
 * names the field. */
static const char *const WITHHELD_REASON[] = { "defenceSecurity", "commercialInterest", "fairCompetition",
                                               "lawEnforcement", "publicInterest", NULL };
static const char *const CLASSIFICATION[] = { "unclassified", "restricted", "confidential", "secret", "topSecret",
                                              NULL };
static const char *const CAPABILITY[] = { "dronesUav", "combatAircraft", "land", "cyberElectronicWarfare",
                                          "airDefence", "ammunition", "infrastructure", "other", NULL };

static const struct field F_WITHHELD[] = {
    { "path", F_STR, 1, 200, NULL, NULL, "JSON pointer of the withheld field, e.g. /tender/value" },
    { "reason", F_ENUM, 1, 0, WITHHELD_REASON, NULL, "reason code (ext/defence withheldReason)" },
    { "description", F_TEXT, 0, 0, NULL, NULL, "justification (eForms BT-196)" },
    { "disclosureDate", F_DATE, 1, 0, NULL, NULL, "planned disclosure date" },
    END,
};
static const struct field F_CANDIDATE[] = {
    { "id", F_STR, 1, 128, NULL, NULL, "organisation identifier, e.g. BE-BCE_KBO-0123456789" },
    { "name", F_STR, 1, 300, NULL, NULL, "legal name" },
    END,
};
static const struct field F_BID[] = {
    { "id", F_STR, 1, 64, NULL, NULL, "bid id, unique in the procedure" },
    { "tenderer", F_PARTY, 1, 0, NULL, NULL, "{id, name} of an invited candidate" },
    { "value", F_AMOUNT, 1, 0, NULL, NULL, "{amount, currency: EUR}" },
    { "date", F_DATE, 1, 0, NULL, NULL, "when the tender was received" },
    { "status", F_ENUM, 0, 0, BID_STATUS, NULL, "valid (default), disqualified or withdrawn" },
    END,
};
static const struct field F_MILESTONE[] = {
    { "id", F_STR, 1, 64, NULL, NULL, "milestone id (same id updates it)" },
    { "title", F_STR, 1, 300, NULL, NULL, "what is delivered" },
    { "dueDate", F_DATE, 1, 0, NULL, NULL, "when it is due" },
    { "status", F_ENUM, 0, 0, MILESTONE_STATUS, NULL, "scheduled (default), met, notMet, partiallyMet" },
    { "dateMet", F_DATE, 0, 0, NULL, NULL, "when it was met" },
    END,
};

static const struct field S_CREATE[] = {
    DATE_FIELD,
    { "title", F_STR, 1, 300, NULL, NULL, "title of the procurement" },
    { "description", F_TEXT, 0, 0, NULL, NULL, "what is bought and why" },
    { "procedure", F_STR, 1, 64, NULL, NULL, "restricted, negotiatedWithPublication, competitiveDialogue or "
                                             "negotiatedWithoutPublication" },
    { "article28Ground", F_STR, 0, 16, NULL, NULL, "Art. 28 ground code, e.g. art28-1e (negotiated without "
                                                  "publication; see GET /api/v1/rules)" },
    { "article28Justification", F_TEXT, 0, 0, NULL, NULL, "why the ground applies" },
    { "mainProcurementCategory", F_ENUM, 1, 0, CATEGORIES, NULL, "goods, works or services" },
    { "estimatedValue", F_AMOUNT, 1, 0, NULL, NULL, "{amount, currency: EUR}, excluding VAT" },
    { "capabilityArea", F_ENUM, 1, 0, CAPABILITY, NULL, "capability area (ext/defence)" },
    { "securityClassification", F_ENUM, 0, 0, CLASSIFICATION, NULL, "classification level of the contract" },
    { "buyerName", F_STR, 0, 300, NULL, NULL, "the buyer's name as published" },
    { "cpv", F_STR, 0, 16, NULL, NULL, "main CPV code, e.g. 35613000" },
    { "plannedNoticeDate", F_DATE, 0, 0, NULL, NULL, "when the contract notice is planned" },
    { "withheld", F_LIST, 0, 0, NULL, F_WITHHELD, "fields withheld from the public release" },
    END,
};
static const struct field S_TENDER[] = {
    DATE_FIELD,
    { "requestsDeadline", F_DATE, 1, 0, NULL, NULL, "deadline for requests to participate" },
    { "electronicNotice", F_BOOL, 0, 0, NULL, NULL, "notice drawn up and sent electronically (Art. 33(4))" },
    { "electronicDocuments", F_BOOL, 0, 0, NULL, NULL, "full direct electronic access to the documents (Art. 33(5))" },
    { "priorInformationNotice", F_BOOL, 0, 0, NULL, NULL, "a prior information notice was published (Art. 33(3))" },
    { "accelerated", F_BOOL, 0, 0, NULL, NULL, "urgency makes the normal time limits impracticable (Art. 33(7))" },
    { "urgencyJustification", F_TEXT, 0, 0, NULL, NULL, "reason of urgency (required when accelerated)" },
    { "description", F_TEXT, 0, 0, NULL, NULL, "notice text" },
    END,
};
static const struct field S_INVITATION[] = {
    DATE_FIELD,
    { "tenderDeadline", F_DATE, 1, 0, NULL, NULL, "deadline for receipt of tenders" },
    { "candidates", F_LIST, 1, 0, NULL, F_CANDIDATE, "selected candidates invited to tender" },
    { "insufficientCandidates", F_BOOL, 0, 0, NULL, NULL, "fewer suitable candidates than the minimum applied" },
    { "electronicDocuments", F_BOOL, 0, 0, NULL, NULL, "full direct electronic access to the documents" },
    END,
};
static const struct field S_AMENDMENTS[] = {
    DATE_FIELD,
    { "rationale", F_TEXT, 1, 0, NULL, NULL, "what changes and why" },
    { "requestsDeadline", F_DATE, 0, 0, NULL, NULL, "new deadline for requests to participate" },
    { "tenderDeadline", F_DATE, 0, 0, NULL, NULL, "new tender deadline" },
    { "description", F_TEXT, 0, 0, NULL, NULL, "new description" },
    END,
};
static const struct field S_CLARIFICATIONS[] = {
    DATE_FIELD,
    { "question", F_TEXT, 1, 0, NULL, NULL, "the question (without the asker's identity)" },
    { "answer", F_TEXT, 1, 0, NULL, NULL, "the answer, sent to every candidate" },
    { "questionDate", F_DATE, 0, 0, NULL, NULL, "when the question was received" },
    END,
};
static const struct field S_BIDS[] = {
    DATE_FIELD,
    { "bids", F_LIST, 1, 0, NULL, F_BID, "tenders received" },
    END,
};
static const struct field S_AWARD[] = {
    DATE_FIELD,
    { "bidId", F_STR, 1, 64, NULL, NULL, "the winning bid" },
    { "value", F_AMOUNT, 0, 0, NULL, NULL, "awarded value (default: the bid's)" },
    { "notification", F_ENUM, 0, 0, NOTIFICATION, NULL, "how the decision was sent: electronic (default) or other" },
    { "rationale", F_TEXT, 0, 0, NULL, NULL, "award criteria and reasons" },
    END,
};
static const struct field S_CONTRACT[] = {
    DATE_FIELD,
    { "dateSigned", F_DATE, 1, 0, NULL, NULL, "when the contract was concluded" },
    { "value", F_AMOUNT, 0, 0, NULL, NULL, "contract value (default: the award's)" },
    { "period", F_PERIOD, 0, 0, NULL, NULL, "{startDate, endDate}" },
    { "title", F_STR, 0, 300, NULL, NULL, "contract title" },
    END,
};
static const struct field S_MILESTONES[] = {
    DATE_FIELD,
    { "milestones", F_LIST, 1, 0, NULL, F_MILESTONE, "milestones to add or update" },
    END,
};
static const struct field S_TRANSACTIONS[] = {
    DATE_FIELD,
    { "id", F_STR, 1, 64, NULL, NULL, "payment id, unique in the procedure" },
    { "value", F_AMOUNT, 1, 0, NULL, NULL, "{amount, currency: EUR}" },
    { "final", F_BOOL, 0, 0, NULL, NULL, "the final payment: the contract is complete" },
    { "description", F_STR, 0, 300, NULL, NULL, "what is paid for" },
    END,
};
static const struct field S_AMENDMENT[] = {
    DATE_FIELD,
    { "rationale", F_TEXT, 1, 0, NULL, NULL, "why the contract changes" },
    { "value", F_AMOUNT, 0, 0, NULL, NULL, "new total contract value" },
    { "endDate", F_DATE, 0, 0, NULL, NULL, "new end date" },
    END,
};
static const struct field S_REASON[] = {
    DATE_FIELD,
    { "rationale", F_TEXT, 1, 0, NULL, NULL, "reason" },
    END,
};
static const struct field S_DISCLOSURE[] = {
    DATE_FIELD,
    { "paths", F_STRLIST, 1, 0, NULL, NULL, "JSON pointers of the withheld fields to disclose" },
    END,
};

static const struct {
    const char *name;
    const struct field *fields;
} STEPS[PROC_NSTEPS] = {
    [PROC_STEP_CREATE] = { "create", S_CREATE },
    [PROC_STEP_TENDER] = { "tender", S_TENDER },
    [PROC_STEP_INVITATION] = { "invitation", S_INVITATION },
    [PROC_STEP_AMENDMENTS] = { "amendments", S_AMENDMENTS },
    [PROC_STEP_CLARIFICATIONS] = { "clarifications", S_CLARIFICATIONS },
    [PROC_STEP_BIDS] = { "bids", S_BIDS },
    [PROC_STEP_AWARD] = { "award", S_AWARD },
    [PROC_STEP_CONTRACT] = { "contract", S_CONTRACT },
    [PROC_STEP_MILESTONES] = { "milestones", S_MILESTONES },
    [PROC_STEP_TRANSACTIONS] = { "transactions", S_TRANSACTIONS },
    [PROC_STEP_AMENDMENT] = { "amendment", S_AMENDMENT },
    [PROC_STEP_TERMINATION] = { "termination", S_REASON },
    [PROC_STEP_CANCELLATION] = { "cancellation", S_REASON },
    [PROC_STEP_DISCLOSURE] = { "disclosure", S_DISCLOSURE },
};

const char *proc_step_name(enum proc_step s)
{
    return (unsigned)s < PROC_NSTEPS ? STEPS[s].name : "?";
}

int proc_step_parse(const char *name)
{
    int i;
    for (i = 0; name && i < PROC_NSTEPS; i++)
        if (!strcmp(STEPS[i].name, name))
            return i;
    return -1;
}

static int text_ok(const char *s, int multiline)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == 0x7f || (c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))))
            return 0;
    }
    return 1;
}

static void check_fields(const struct field *fs, const json_t *obj, const char *at, struct proc_issues *is);

static void check_amount(const json_t *v, const char *at, struct proc_issues *is)
{
    const char *k;
    json_t *m;
    json_t *amount = json_object_get(v, "amount"), *cur = json_object_get(v, "currency");
    double a;

    if (!json_is_object(v)) {
        proc_issue(is, NULL, at, "must be an object {\"amount\": number, \"currency\": \"EUR\"}");
        return;
    }
    json_object_foreach((json_t *)v, k, m)
        if (strcmp(k, "amount") && strcmp(k, "currency"))
            proc_issue(is, NULL, at, "unknown field \"%.40s\" in an amount", k);
    if (!json_is_number(amount)) {
        proc_issue(is, NULL, at, "amount must be a number");
        return;
    }
    a = json_number_value(amount);
    if (!(a >= 0 && a <= 1e15))
        proc_issue(is, NULL, at, "amount must be between 0 and 10^15");
    if (!json_is_string(cur) || strcmp(json_string_value(cur), "EUR"))
        proc_issue(is, NULL, at, "currency must be \"EUR\" (thresholds are in euro)");
}

static void check_one(const struct field *f, const json_t *v, const char *at, struct proc_issues *is)
{
    struct proc_date d;
    size_t i;
    char sub[64];

    switch (f->kind) {
    case F_STR:
    case F_TEXT:
        if (!json_is_string(v))
            proc_issue(is, NULL, at, "must be a string");
        else if (json_string_length(v) == 0)
            proc_issue(is, NULL, at, "must not be empty");
        else if (json_string_length(v) > (f->kind == F_STR ? f->max : PROC_TEXT_MAX))
            proc_issue(is, NULL, at, "longer than %zu bytes", f->kind == F_STR ? f->max : (size_t)PROC_TEXT_MAX);
        else if (strlen(json_string_value(v)) != json_string_length(v) ||
                 !text_ok(json_string_value(v), f->kind == F_TEXT))
            proc_issue(is, NULL, at, "contains control characters");
        break;
    case F_DATE:
        if (!json_is_string(v) || proc_date_parse(json_string_value(v), &d, NULL) < 0)
            proc_issue(is, NULL, at, "must be a date: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        break;
    case F_BOOL:
        if (!json_is_boolean(v))
            proc_issue(is, NULL, at, "must be true or false");
        break;
    case F_AMOUNT:
        check_amount(v, at, is);
        break;
    case F_ENUM:
        for (i = 0; json_is_string(v) && f->values[i]; i++)
            if (!strcmp(json_string_value(v), f->values[i]))
                return;
        proc_issue(is, NULL, at, "must be one of the listed values (%s%s)", f->values[0], f->values[1] ? ", ..." : "");
        break;
    case F_LIST:
    case F_STRLIST:
        if (!json_is_array(v) || json_array_size(v) == 0) {
            proc_issue(is, NULL, at, "must be a non-empty array");
            return;
        }
        if (json_array_size(v) > PROC_MAX_LIST) {
            proc_issue(is, NULL, at, "at most %d entries", PROC_MAX_LIST);
            return;
        }
        for (i = 0; i < json_array_size(v); i++) {
            json_t *it = json_array_get(v, i);
            snprintf(sub, sizeof sub, "%s/%zu", at, i);
            if (f->kind == F_STRLIST) {
                if (!json_is_string(it) || json_string_length(it) == 0 || json_string_length(it) > 200)
                    proc_issue(is, NULL, sub, "must be a non-empty string of at most 200 bytes");
            } else if (!json_is_object(it)) {
                proc_issue(is, NULL, sub, "must be an object");
            } else {
                check_fields(f->sub, it, sub, is);
            }
        }
        break;
    case F_PERIOD: {
        static const struct field P[] = {
            { "startDate", F_DATE, 0, 0, NULL, NULL, NULL }, { "endDate", F_DATE, 0, 0, NULL, NULL, NULL }, END };
        if (!json_is_object(v))
            proc_issue(is, NULL, at, "must be an object {startDate, endDate}");
        else
            check_fields(P, v, at, is);
        break;
    }
    case F_PARTY:
        if (!json_is_object(v))
            proc_issue(is, NULL, at, "must be an object {id, name}");
        else
            check_fields(F_CANDIDATE, v, at, is);
        break;
    }
}

static const struct field *find_field(const struct field *fs, const char *name)
{
    for (; fs->name; fs++)
        if (!strcmp(fs->name, name))
            return fs;
    return NULL;
}

static void check_fields(const struct field *fs, const json_t *obj, const char *at, struct proc_issues *is)
{
    const struct field *f;
    const char *k;
    json_t *v;
    char sub[64];

    json_object_foreach((json_t *)obj, k, v) {
        f = find_field(fs, k);
        snprintf(sub, sizeof sub, "%s/%.40s", at, k);
        if (!f)
            proc_issue(is, NULL, sub, "unknown field \"%.40s\"", k);
        else if (!json_is_null(v))
            check_one(f, v, sub, is);
    }
    for (f = fs; f->name; f++) {
        v = json_object_get(obj, f->name);
        if (f->required && (!v || json_is_null(v))) {
            snprintf(sub, sizeof sub, "%s/%s", at, f->name);
            proc_issue(is, NULL, sub, "is required");
        }
    }
}

static int depth_of(const json_t *v, int limit)
{
    size_t i;
    const char *k;
    json_t *m;
    int d, max = 0;

    if (limit < 0)
        return 1;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, m) {
            d = depth_of(m, limit - 1);
            max = d > max ? d : max;
        }
        return max + 1;
    }
    if (json_is_array(v)) {
        for (i = 0; i < json_array_size(v); i++) {
            d = depth_of(json_array_get(v, i), limit - 1);
            max = d > max ? d : max;
        }
        return max + 1;
    }
    return 0;
}

int proc_body_parse(enum proc_step step, const char *text, size_t len, json_t **out, struct proc_issues *is)
{
    json_error_t je;
    json_t *v = NULL;

    *out = NULL;
    if ((unsigned)step >= PROC_NSTEPS) {
        proc_issue(is, NULL, "", "unknown step");
        return BF_EINVAL;
    }
    if (len > PROC_BODY_MAX) {
        proc_issue(is, NULL, "", "request body larger than %d bytes", PROC_BODY_MAX);
        return BF_ELIMIT;
    }
    if (len == 0) {
        proc_issue(is, NULL, "", "empty body: send a JSON object");
        return BF_EINVAL;
    }
    v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        proc_issue(is, NULL, "", "not JSON: %.200s (line %d, column %d)", je.text, je.line, je.column);
        return BF_EINVAL;
    }
    if (!json_is_object(v)) {
        proc_issue(is, NULL, "", "the body must be a JSON object");
        json_decref(v);
        return BF_EINVAL;
    }
    if (depth_of(v, PROC_BODY_DEPTH) > PROC_BODY_DEPTH) {
        proc_issue(is, NULL, "", "nested deeper than %d levels", PROC_BODY_DEPTH);
        json_decref(v);
        return BF_ELIMIT;
    }
    check_fields(STEPS[step].fields, v, "", is);
    if (is->n) {
        json_decref(v);
        return BF_EINVAL;
    }
    *out = v;
    return 0;
}

static const char *kind_name(enum fkind k)
{
    static const char *const names[] = { "string", "text", "date", "boolean", "amount", "enum",
                                         "list",   "list of strings", "period", "organisation" };
    return names[k];
}

static json_t *fields_schema(const struct field *fs)
{
    json_t *o = json_object();
    size_t i;
    for (; fs->name; fs++) {
        json_t *f = json_pack("{s:s,s:b,s:s}", "kind", kind_name(fs->kind), "required", fs->required, "help",
                              fs->help ? fs->help : "");
        if (fs->kind == F_ENUM) {
            json_t *a = json_array();
            for (i = 0; fs->values[i]; i++)
                json_array_append_new(a, json_string(fs->values[i]));
            json_object_set_new(f, "values", a);
        }
        if (fs->kind == F_STR)
            json_object_set_new(f, "maxLength", json_integer((json_int_t)fs->max));
        if (fs->kind == F_LIST)
            json_object_set_new(f, "items", fields_schema(fs->sub));
        json_object_set_new(o, fs->name, f);
    }
    return o;
}

static json_t *object_json_schema(const struct field *fs);

static json_t *field_json_schema(const struct field *f)
{
    static const char DATE_RE[] = "^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$";
    json_t *s = NULL, *a;
    size_t i;

    switch (f->kind) {
    case F_STR:
        s = json_pack("{s:s,s:i,s:I}", "type", "string", "minLength", 1, "maxLength", (json_int_t)f->max);
        break;
    case F_TEXT:
        s = json_pack("{s:s,s:i,s:i}", "type", "string", "minLength", 1, "maxLength", PROC_TEXT_MAX);
        break;
    case F_DATE:
        s = json_pack("{s:s,s:s}", "type", "string", "pattern", DATE_RE);
        break;
    case F_BOOL:
        s = json_pack("{s:s}", "type", "boolean");
        break;
    case F_AMOUNT:
        s = json_pack("{s:s,s:[s,s],s:b,s:{s:{s:s,s:i,s:f},s:{s:s}}}", "type", "object", "required", "amount",
                      "currency", "additionalProperties", 0, "properties", "amount", "type", "number", "minimum", 0,
                      "maximum", 1e15, "currency", "const", "EUR");
        break;
    case F_ENUM:
        a = json_array();
        for (i = 0; f->values[i]; i++)
            json_array_append_new(a, json_string(f->values[i]));
        s = json_pack("{s:s,s:o}", "type", "string", "enum", a);
        break;
    case F_LIST:
        s = json_pack("{s:s,s:i,s:i,s:o}", "type", "array", "minItems", 1, "maxItems", PROC_MAX_LIST, "items",
                      object_json_schema(f->sub));
        break;
    case F_STRLIST:
        s = json_pack("{s:s,s:i,s:i,s:{s:s,s:i,s:i}}", "type", "array", "minItems", 1, "maxItems", PROC_MAX_LIST,
                      "items", "type", "string", "minLength", 1, "maxLength", 200);
        break;
    case F_PERIOD: {
        static const struct field P[] = {
            { "startDate", F_DATE, 0, 0, NULL, NULL, "start" }, { "endDate", F_DATE, 0, 0, NULL, NULL, "end" }, END };
        s = object_json_schema(P);
        break;
    }
    case F_PARTY:
        s = object_json_schema(F_CANDIDATE);
        break;
    }
    if (s && f->help)
        json_object_set_new(s, "description", json_string(f->help));
    return s;
}

static json_t *object_json_schema(const struct field *fs)
{
    json_t *props = json_object(), *req = json_array();
    for (; fs->name; fs++) {
        json_object_set_new(props, fs->name, field_json_schema(fs));
        if (fs->required)
            json_array_append_new(req, json_string(fs->name));
    }
    return json_pack("{s:s,s:o,s:o,s:b}", "type", "object", "properties", props, "required", req,
                     "additionalProperties", 0);
}

json_t *proc_body_json_schema(enum proc_step step)
{
    if ((unsigned)step >= PROC_NSTEPS)
        return json_object();
    return object_json_schema(STEPS[step].fields);
}

json_t *proc_body_schema(enum proc_step step)
{
    if ((unsigned)step >= PROC_NSTEPS)
        return json_object();
    return fields_schema(STEPS[step].fields);
}
