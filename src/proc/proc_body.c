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

/* One row per field: FLD_<kind>(name, REQ or OPT, [what the kind needs,]
 * help), what the kind needs being a string's maximum length (STR), the
 * allowed values (ENUM) or the fields of each item (LIST). */
#define REQ 1
#define OPT 0
#define FLD_STR(name, req, max, help) { name, F_STR, req, max, NULL, NULL, help }
#define FLD_TEXT(name, req, help) { name, F_TEXT, req, 0, NULL, NULL, help }
#define FLD_DATE(name, req, help) { name, F_DATE, req, 0, NULL, NULL, help }
#define FLD_BOOL(name, req, help) { name, F_BOOL, req, 0, NULL, NULL, help }
#define FLD_AMOUNT(name, req, help) { name, F_AMOUNT, req, 0, NULL, NULL, help }
#define FLD_ENUM(name, req, values, help) { name, F_ENUM, req, 0, values, NULL, help }
#define FLD_LIST(name, req, sub, help) { name, F_LIST, req, 0, NULL, sub, help }
#define FLD_STRLIST(name, req, help) { name, F_STRLIST, req, 0, NULL, NULL, help }
#define FLD_PERIOD(name, req, help) { name, F_PERIOD, req, 0, NULL, NULL, help }
#define FLD_PARTY(name, req, help) { name, F_PARTY, req, 0, NULL, NULL, help }
#define END { NULL, 0, 0, 0, NULL, NULL, NULL }
#define DATE_FIELD FLD_DATE("date", OPT, "date of this act (default: now); releases are dated by it")

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
    FLD_STR("path", REQ, 200, "JSON pointer of the withheld field, e.g. /tender/value"),
    FLD_ENUM("reason", REQ, WITHHELD_REASON, "reason code (ext/defence withheldReason)"),
    FLD_TEXT("description", OPT, "justification (eForms BT-196)"),
    FLD_DATE("disclosureDate", REQ, "planned disclosure date"),
    END,
};
static const struct field F_CANDIDATE[] = {
    FLD_STR("id", REQ, 128, "organisation identifier, e.g. BE-BCE_KBO-0123456789"),
    FLD_STR("name", REQ, 300, "legal name"),
    END,
};
static const struct field F_BID[] = {
    FLD_STR("id", REQ, 64, "bid id, unique in the procedure"),
    FLD_PARTY("tenderer", REQ, "{id, name} of an invited candidate"),
    FLD_AMOUNT("value", REQ, "{amount, currency: EUR}"),
    FLD_DATE("date", REQ, "when the tender was received"),
    FLD_ENUM("status", OPT, BID_STATUS, "valid (default), disqualified or withdrawn"),
    END,
};
static const struct field F_PERIOD_FIELDS[] = { /* the {startDate, endDate} of a F_PERIOD */
    FLD_DATE("startDate", OPT, "start"),
    FLD_DATE("endDate", OPT, "end"),
    END,
};
static const struct field F_MILESTONE[] = {
    FLD_STR("id", REQ, 64, "milestone id (same id updates it)"),
    FLD_STR("title", REQ, 300, "what is delivered"),
    FLD_DATE("dueDate", REQ, "when it is due"),
    FLD_ENUM("status", OPT, MILESTONE_STATUS, "scheduled (default), met, notMet, partiallyMet"),
    FLD_DATE("dateMet", OPT, "when it was met"),
    END,
};

static const struct field S_CREATE[] = {
    DATE_FIELD,
    FLD_STR("title", REQ, 300, "title of the procurement"),
    FLD_TEXT("description", OPT, "what is bought and why"),
    FLD_STR("procedure", REQ, 64,
            "restricted, negotiatedWithPublication, competitiveDialogue or negotiatedWithoutPublication"),
    FLD_STR("article28Ground", OPT, 16,
            "Art. 28 ground code, e.g. art28-1e (negotiated without publication; see GET /api/v1/rules)"),
    FLD_TEXT("article28Justification", OPT, "why the ground applies"),
    FLD_ENUM("mainProcurementCategory", REQ, CATEGORIES, "goods, works or services"),
    FLD_AMOUNT("estimatedValue", REQ, "{amount, currency: EUR}, excluding VAT"),
    FLD_ENUM("capabilityArea", REQ, CAPABILITY, "capability area (ext/defence)"),
    FLD_ENUM("securityClassification", OPT, CLASSIFICATION, "classification level of the contract"),
    FLD_STR("buyerName", OPT, 300, "the buyer's name as published"),
    FLD_STR("cpv", OPT, 16, "main CPV code, e.g. 35613000"),
    FLD_DATE("plannedNoticeDate", OPT, "when the contract notice is planned"),
    FLD_LIST("withheld", OPT, F_WITHHELD, "fields withheld from the public release"),
    END,
};
static const struct field S_TENDER[] = {
    DATE_FIELD,
    FLD_DATE("requestsDeadline", REQ, "deadline for requests to participate"),
    FLD_BOOL("electronicNotice", OPT, "notice drawn up and sent electronically (Art. 33(4))"),
    FLD_BOOL("electronicDocuments", OPT, "full direct electronic access to the documents (Art. 33(5))"),
    FLD_BOOL("priorInformationNotice", OPT, "a prior information notice was published (Art. 33(3))"),
    FLD_BOOL("accelerated", OPT, "urgency makes the normal time limits impracticable (Art. 33(7))"),
    FLD_TEXT("urgencyJustification", OPT, "reason of urgency (required when accelerated)"),
    FLD_TEXT("description", OPT, "notice text"),
    END,
};
static const struct field S_INVITATION[] = {
    DATE_FIELD,
    FLD_DATE("tenderDeadline", REQ, "deadline for receipt of tenders"),
    FLD_LIST("candidates", REQ, F_CANDIDATE, "selected candidates invited to tender"),
    FLD_BOOL("insufficientCandidates", OPT, "fewer suitable candidates than the minimum applied"),
    FLD_BOOL("electronicDocuments", OPT, "full direct electronic access to the documents"),
    END,
};
static const struct field S_AMENDMENTS[] = {
    DATE_FIELD,
    FLD_TEXT("rationale", REQ, "what changes and why"),
    FLD_DATE("requestsDeadline", OPT, "new deadline for requests to participate"),
    FLD_DATE("tenderDeadline", OPT, "new tender deadline"),
    FLD_TEXT("description", OPT, "new description"),
    END,
};
static const struct field S_CLARIFICATIONS[] = {
    DATE_FIELD,
    FLD_TEXT("question", REQ, "the question (without the asker's identity)"),
    FLD_TEXT("answer", REQ, "the answer, sent to every candidate"),
    FLD_DATE("questionDate", OPT, "when the question was received"),
    END,
};
static const struct field S_BIDS[] = {
    DATE_FIELD,
    FLD_LIST("bids", REQ, F_BID, "tenders received"),
    END,
};
static const struct field S_AWARD[] = {
    DATE_FIELD,
    FLD_STR("bidId", REQ, 64, "the winning bid"),
    FLD_AMOUNT("value", OPT, "awarded value (default: the bid's)"),
    FLD_ENUM("notification", OPT, NOTIFICATION, "how the decision was sent: electronic (default) or other"),
    FLD_TEXT("rationale", OPT, "award criteria and reasons"),
    END,
};
static const struct field S_CONTRACT[] = {
    DATE_FIELD,
    FLD_DATE("dateSigned", REQ, "when the contract was concluded"),
    FLD_AMOUNT("value", OPT, "contract value (default: the award's)"),
    FLD_PERIOD("period", OPT, "{startDate, endDate}"),
    FLD_STR("title", OPT, 300, "contract title"),
    END,
};
static const struct field S_MILESTONES[] = {
    DATE_FIELD,
    FLD_LIST("milestones", REQ, F_MILESTONE, "milestones to add or update"),
    END,
};
static const struct field S_TRANSACTIONS[] = {
    DATE_FIELD,
    FLD_STR("id", REQ, 64, "payment id, unique in the procedure"),
    FLD_AMOUNT("value", REQ, "{amount, currency: EUR}"),
    FLD_BOOL("final", OPT, "the final payment: the contract is complete"),
    FLD_STR("description", OPT, 300, "what is paid for"),
    END,
};
static const struct field S_AMENDMENT[] = {
    DATE_FIELD,
    FLD_TEXT("rationale", REQ, "why the contract changes"),
    FLD_AMOUNT("value", OPT, "new total contract value"),
    FLD_DATE("endDate", OPT, "new end date"),
    END,
};
static const struct field S_REASON[] = {
    DATE_FIELD,
    FLD_TEXT("rationale", REQ, "reason"),
    END,
};
static const struct field S_DISCLOSURE[] = {
    DATE_FIELD,
    FLD_STRLIST("paths", REQ, "JSON pointers of the withheld fields to disclose"),
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
    case F_PERIOD:
        if (!json_is_object(v))
            proc_issue(is, NULL, at, "must be an object {startDate, endDate}");
        else
            check_fields(F_PERIOD_FIELDS, v, at, is);
        break;
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
    case F_PERIOD:
        s = object_json_schema(F_PERIOD_FIELDS);
        break;
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
