/*
 * ocds_check.c - the OCDS 1.1.5 rules a release must meet before Belfry
 * stores and logs it: required fields, closed codelists, date formats,
 * types of the fields later code relies on, unique local ids, and (through
 * ocds_check_ext.c) the bids, lots and defence extensions and withheld
 * fields.
 *
 * Invariants: the check never modifies the release and stops at the first
 * problem, whose message starts with the RFC 6901 pointer of the offending
 * value ("/tender/status: ..."), so an importer can report it per item.
 * Open codelists (documentType, partyRole, ...) are not restricted. A
 * withheld marker ({"withheld": true, "commitment": ...}) stands in for
 * any value. Recursion is bounded by OCDS_JSON_MAX_DEPTH.
 *
 * ocds_release_check_jcs (for ocds_prepare) runs the same rules with the
 * generic walk folded into the JCS writer's walk (ocds_jcs_visit), and
 * the release-level rules then read the members that walk collected (the
 * stash, through ocds_chk_get) instead of jansson's hash. It only ever
 * says "valid" when ocds_release_check would; on any doubt it steps aside
 * and the caller runs ocds_release_check for the exact message.
 *
 * Empty strings: the schema's minLength 1 holds for ocid, id, tender/id,
 * contracts' awardID, the local ids of the id arrays, and the "name" of an
 * OrganizationReference (buyer, procuringEntity, tenderers, suppliers,
 * payer, payee, bid tenderers). A party's own "name" (Organization) has no
 * minLength in OCDS 1.1.5 and may be empty.
 */
#include "common.h"
#include "buf.h"
#include "ocds.h"
#include "ocds_jv.h"
#include "ocds_json.h"
#include "ocds_check_int.h"

static const char *const release_tags[] = {"planning", "planningUpdate", "tender", "tenderAmendment",
    "tenderUpdate", "tenderCancellation", "award", "awardUpdate", "awardCancellation", "contract",
    "contractUpdate", "contractAmendment", "implementation", "implementationUpdate", "contractTermination",
    "compiled", NULL};
static const char *const tender_status[] = {"planning", "planned", "active", "cancelled", "unsuccessful",
    "complete", "withdrawn", NULL};
static const char *const award_status[] = {"pending", "active", "cancelled", "unsuccessful", NULL};
static const char *const contract_status[] = {"pending", "active", "cancelled", "terminated", NULL};
static const char *const milestone_status[] = {"scheduled", "met", "notMet", "partiallyMet", NULL};
static const char *const methods[] = {"open", "selective", "limited", "direct", NULL};
static const char *const categories[] = {"goods", "works", "services", NULL};
static const char *const bid_status[] = {"invited", "pending", "valid", "disqualified", "withdrawn", NULL};

/* ---- shared helpers ------------------------------------------------- */

int ocds_code_in(const char *s, const char *const *list)
{
    for (; s && *list; list++) /* the first byte rules out most codes without a call */
        if (s[0] == (*list)[0] && strcmp(s, *list) == 0)
            return 1;
    return 0;
}

int ocds_code_in_sorted(const char *s, const char *const *list, size_t n)
{
    size_t lo = 0, hi = n;
    while (s && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s, list[mid]);
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

static int digits(const char *s, size_t n, int *v)
{
    size_t i;
    *v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

int ocds_datetime_valid(const char *s, size_t n, int allow_date)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, se, th, tm;
    size_t i = 19;

    if (n < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
        return 0;
    if (n == 10)
        return allow_date;
    if (n < 20 || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) || s[13] != ':' ||
        !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se) || h > 23 || mi > 59 || se > 60)
        return 0;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return 0;
    }
    if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z'))
        return 1;
    return i + 6 == n && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2, &th) && s[i + 3] == ':' &&
           digits(s + i + 4, 2, &tm) && th < 24 && tm < 60;
}

/* ocds_chk_push of a member name of known length: copied directly when
 * it fits and needs no "~0"/"~1" escape, else by ocds_json_pointer_push
 * (which also writes the prefix that fits when the pointer is full). */
static inline size_t chk_push_key(struct ocds_chk *c, const char *k, size_t n)
{
    struct bf_buf *b = c->ptr;
    size_t mark = b->len, max = b->max ? b->max : BF_BUF_DEFAULT_MAX, i = 0;

    if (b->len + n + 2 <= b->cap && b->len + n + 1 <= max)
        while (i < n && k[i] != '~' && k[i] != '/')
            i++;
    if (n && i == n) {
        b->data[b->len] = '/';
        memcpy(b->data + b->len + 1, k, n);
        b->len += n + 1;
        b->data[b->len] = '\0';
    } else {
        (void)ocds_json_pointer_push(b, k, n);
    }
    return mark;
}

size_t ocds_chk_push(struct ocds_chk *c, const char *name)
{
    return chk_push_key(c, name, strlen(name));
}

/* ocds_chk_push inlined, so a literal name's length is known. */
#define INLINE static inline __attribute__((always_inline))

INLINE size_t push(struct ocds_chk *c, const char *name)
{
    return chk_push_key(c, name, strlen(name));
}

size_t ocds_chk_push_index(struct ocds_chk *c, size_t i)
{
    size_t mark = c->ptr->len, n = sizeof(size_t) * 3;
    char d[sizeof(size_t) * 3];

    /* by hand: a printf per array item was a visible part of the check */
    do
        d[--n] = (char)('0' + i % 10);
    while (i /= 10);
    d[--n] = '/';
    if (bf_buf_append(c->ptr, d + n, sizeof(size_t) * 3 - n) < 0)
        return mark; /* pointer too long: the message shows a prefix */
    return mark;
}

void ocds_chk_pop(struct ocds_chk *c, size_t mark)
{
    c->ptr->len = mark;
    if (c->ptr->data)
        c->ptr->data[mark] = '\0';
}

int ocds_chk_fail(struct ocds_chk *c, const char *name, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    size_t mark = name ? ocds_chk_push(c, name) : c->ptr->len;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bf_err_set(c->err, BF_EINVAL, "%s: %s", c->ptr->len ? c->ptr->data : "(release)", msg);
    ocds_chk_pop(c, mark);
    return BF_EINVAL;
}

/* What the walk of ocds_release_check_jcs keeps for the rest of the
 * check: every object's members as the writer read them (so the
 * release-level rules look names up here, not through jansson's hash and
 * a strlen per name), found by the object's address; and the id arrays
 * whose ids are checked once their items' members are here too. Room for
 * a typical release is on the stack; larger ones grow onto the heap. */
struct stash_slot {
    const json_t *obj;
    uint32_t first, n; /* the object's members: m[first .. first + n) */
};
struct stash {
    struct ocds_jcs_member *m;
    size_t n, cap;
    struct stash_slot *slot; /* open addressing; nslots a power of two */
    size_t nslots, used;
    struct stash_ids {
        const json_t *arr;
        unsigned kind;
    } *ids, ids0[32];
    size_t nids, idscap;
    struct ocds_release_top *top;
    struct ocds_jcs_member m0[128];
    struct stash_slot s0[64];
};

static size_t stash_hash(const json_t *obj, size_t mask)
{
    return (size_t)(((uint64_t)(uintptr_t)obj * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

/* The stash ocds_chk_get answers from, while the rules after the walk run
 * on this thread; NULL otherwise. */
static _Thread_local const struct stash *chk_stash;

/* ocds_chk_get's work, inlined into the lookups of this file. */
static inline json_t *stash_get(const json_t *obj, const char *name, size_t len)
{
    const struct stash *s = chk_stash;
    size_t i, k, j;

#ifdef OCDS_JV
    /* a jv object is its members in an array: nothing to hash */
    (void)s, (void)i, (void)k, (void)j;
    return json_object_getn(obj, name, len);
#endif
    if (!s || !obj)
        return json_object_getn(obj, name, len);
    for (i = stash_hash(obj, s->nslots - 1); s->slot[i].obj; i = (i + 1) & (s->nslots - 1)) {
        const struct ocds_jcs_member *m;
        if (s->slot[i].obj != obj)
            continue;
        m = s->m + s->slot[i].first;
        /* most members differ in length; the rest in their first bytes */
        for (k = 0; k < s->slot[i].n; k++) {
            if (m[k].len != len)
                continue;
            for (j = 0; j < len && m[k].key[j] == name[j]; j++)
                ;
            if (j == len)
                return m[k].value;
        }
        return NULL;
    }
    return json_object_getn(obj, name, len); /* not an object the walk met */
}

json_t *ocds_chk_get(const json_t *obj, const char *name, size_t len)
{
    return stash_get(obj, name, len);
}

/* obj[name] (ocds_chk_get: from the walk's members when it has them). */
static inline json_t *get(const json_t *obj, const char *name)
{
    return stash_get(obj, name, strlen(name));
}

/* While the stash answers there is no marker to find: the walk of
 * ocds_release_check_jcs stops at the first. */
static int is_marker(const json_t *v)
{
    return json_is_object(v) && !chk_stash && json_is_true(get(v, "withheld"));
}

INLINE int chk_code(struct ocds_chk *c, const json_t *obj, const char *name, const char *list_name,
                    const char *const *codes)
{
    json_t *v = get(obj, name);
    if (!v || json_is_null(v) || is_marker(v))
        return 0;
    if (!json_is_string(v))
        return ocds_chk_fail(c, name, "must be a string from the closed codelist %s", list_name);
    if (!ocds_code_in(json_string_value(v), codes))
        return ocds_chk_fail(c, name, "'%.80s' is not in the closed codelist %s", json_string_value(v), list_name);
    return 0;
}

int ocds_chk_code(struct ocds_chk *c, const json_t *obj, const char *name, const char *list_name,
                  const char *const *codes)
{
    return chk_code(c, obj, name, list_name, codes);
}

/* ---- generic walk: dates, currencies, amounts, ids, statuses --------- */

/* What the walk looks at in a member name, as flags. Every member of
 * every object comes here and most are none of these, so it goes by the
 * name's length first and compares bytes only with the names of that
 * length. (Member names hold no NUL: jansson's parser, and so the fast
 * one, rejects "\u0000" in keys, so the length is the C string's.) */
enum {
    MK_DATE = 1,          /* a date-time (RFC 3339) */
    MK_DATE_ONLY = 2,     /* ... for which a full-date is enough too */
    MK_CURRENCY = 4,      /* ISO 4217 code */
    MK_AMOUNT = 8,        /* number or Value object */
    MK_MILESTONES = 16,   /* must be an array */
    MK_IDS = 32,          /* array of objects with an "id" (id_arrays) */
    MK_NEED_ID = 64,      /* ... which each need one */
    MK_UNIQUE = 128       /* ... unique within the array (unique_arrays) */
};

#define KEY_IS(k, n, lit) ((n) == sizeof(lit) - 1 && memcmp((k), (lit), sizeof(lit) - 1) == 0)

/* The names, by flag:
 *  MK_DATE: members holding dates anywhere in a release (OCDS 1.1.5 +
 *    extensions): date, datePublished, dateModified, dateSigned,
 *    startDate, endDate, maxExtentDate, dueDate, dateMet, disclosureDate
 *    (MK_DATE_ONLY: disclosureDate).
 *  MK_IDS: arrays whose objects carry an "id" unique within the array:
 *    parties, awards, contracts, items, documents, milestones,
 *    transactions, details, lots, lotGroups, relatedProcesses, amendments;
 *    MK_NEED_ID: all but parties, amendments and relatedProcesses.
 *  MK_UNIQUE: of those, the arrays whose ids must also be unique: all but
 *    documents (publishers such as ProZorro reuse a document's id for its
 *    new versions), amendments and relatedProcesses. */
static unsigned member_kind(const char *k, size_t n)
{
    const unsigned ids = MK_IDS | MK_NEED_ID | MK_UNIQUE;

    switch (n) {
    case 4:
        return KEY_IS(k, n, "date") ? MK_DATE : KEY_IS(k, n, "lots") ? ids : 0;
    case 5:
        return KEY_IS(k, n, "items") ? ids : 0;
    case 6:
        return KEY_IS(k, n, "amount") ? MK_AMOUNT : KEY_IS(k, n, "awards") ? ids : 0;
    case 7:
        if (KEY_IS(k, n, "endDate") || KEY_IS(k, n, "dueDate") || KEY_IS(k, n, "dateMet"))
            return MK_DATE;
        return KEY_IS(k, n, "parties") ? MK_IDS | MK_UNIQUE : KEY_IS(k, n, "details") ? ids : 0;
    case 8:
        return KEY_IS(k, n, "currency") ? MK_CURRENCY : 0;
    case 9:
        if (KEY_IS(k, n, "startDate"))
            return MK_DATE;
        if (KEY_IS(k, n, "amountNet"))
            return MK_AMOUNT;
        if (KEY_IS(k, n, "contracts") || KEY_IS(k, n, "lotGroups"))
            return ids;
        return KEY_IS(k, n, "documents") ? MK_IDS | MK_NEED_ID : 0;
    case 10:
        if (KEY_IS(k, n, "dateSigned"))
            return MK_DATE;
        if (KEY_IS(k, n, "milestones"))
            return MK_MILESTONES | ids;
        return KEY_IS(k, n, "amendments") ? MK_IDS : 0;
    case 12:
        return KEY_IS(k, n, "dateModified") ? MK_DATE : KEY_IS(k, n, "transactions") ? ids : 0;
    case 13:
        return KEY_IS(k, n, "datePublished") || KEY_IS(k, n, "maxExtentDate") ? MK_DATE : 0;
    case 14:
        return KEY_IS(k, n, "disclosureDate") ? MK_DATE | MK_DATE_ONLY : 0;
    case 16:
        return KEY_IS(k, n, "relatedProcesses") ? MK_IDS : 0;
    default:
        return 0;
    }
}

static int check_value(const json_t *v, struct ocds_chk *c, unsigned kind, int depth);

/* The first problem of arr's item i as check_ids reports it: 0 none,
 * 1 no id where one is needed, 2 an id of the wrong type, 3 an empty id,
 * 4 the id of item *dup again. ids[j] is item j's "id" member (or NULL)
 * for every j <= i. */
static int id_problem(const json_t *arr, json_t *const *ids, size_t i, int need_id, int unique, size_t *dup)
{
    json_t *id = ids[i];
    size_t j;

    if (is_marker(json_array_get(arr, i)))
        return 0;
    if (!id || json_is_null(id))
        return need_id ? 1 : 0;
    if (!json_is_string(id) && !json_is_integer(id) && !is_marker(id))
        return 2;
    if (json_is_string(id) && json_string_length(id) == 0)
        return 3;
    for (j = 0; unique && j < i; j++)
        if (ocds_json_equal(id, ids[j])) {
            *dup = j;
            return 4;
        }
    return 0;
}

/* Each item's "id", looked up once (the duplicate test compares every
 * pair): into stack when it fits, else a new array (the caller frees it
 * when it is not stack). */
static json_t **collect_ids(const json_t *arr, json_t **stack, size_t cap)
{
    size_t i, n = json_array_size(arr);
    json_t **ids = n <= cap ? stack : bf_xcalloc(n, sizeof *ids);

    for (i = 0; i < n; i++)
        ids[i] = get(json_array_get(arr, i), "id");
    return ids;
}

static int check_ids(const json_t *arr, struct ocds_chk *c, int need_id, int unique)
{
    static const char *const msg[] = {NULL, "is required (a local identifier unique within the array)",
        "must be a string or an integer", "must not be empty"};
    json_t *stack[32], **ids = collect_ids(arr, stack, BF_ARRAY_LEN(stack));
    size_t i, j = 0, n = json_array_size(arr);
    int rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        int p = id_problem(arr, ids, i, need_id, unique, &j);
        size_t mark;
        if (!p)
            continue;
        mark = ocds_chk_push_index(c, i);
        rc = p == 4 ? ocds_chk_fail(c, "id", "duplicates the id of item %zu of the same array", j)
                    : ocds_chk_fail(c, "id", "%s", msg[p]);
        ocds_chk_pop(c, mark);
    }
    if (ids != stack)
        free(ids);
    return rc;
}

/* check_ids without messages: 1 if it would fail. */
static int ids_fail(const json_t *arr, int need_id, int unique)
{
    json_t *stack[32], **ids = collect_ids(arr, stack, BF_ARRAY_LEN(stack));
    size_t i, j, n = json_array_size(arr);
    int p = 0;

    for (i = 0; i < n && !p; i++)
        p = id_problem(arr, ids, i, need_id, unique, &j);
    if (ids != stack)
        free(ids);
    return p != 0;
}

int ocds_all_objects(const json_t *arr)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
        if (!json_is_object(e))
            return 0;
    return 1;
}

/* kind: member_kind of the array's member name (0 inside arrays). */
static int check_array(const json_t *v, struct ocds_chk *c, unsigned kind, int depth)
{
    size_t i;
    json_t *e;
    int rc;

    /* Arrays of other things under these names (Paraguay's lots/items
     * of item ids) belong to extensions and are left alone. */
    if ((kind & MK_IDS) && ocds_all_objects(v) &&
        (rc = check_ids(v, c, (kind & MK_NEED_ID) != 0, (kind & MK_UNIQUE) != 0)) < 0)
        return rc;
    json_array_foreach(v, i, e) {
        size_t mark;
        if (!json_is_object(e) && !json_is_array(e) && depth + 1 <= OCDS_JSON_MAX_DEPTH)
            continue; /* check_value has nothing to say about it */
        mark = ocds_chk_push_index(c, i);
        rc = check_value(e, c, 0, depth + 1);
        ocds_chk_pop(c, mark);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The rule of a member of kind k (member_kind) that m breaks: 0 none,
 * else the flag of the rule. */
static unsigned member_rule(unsigned k, const json_t *m)
{
    if (!(k & (MK_DATE | MK_CURRENCY | MK_AMOUNT | MK_MILESTONES)) || json_is_null(m) || is_marker(m))
        return 0;
    if (k & MK_DATE)
        return !json_is_string(m) ||
                       !ocds_datetime_valid(json_string_value(m), json_string_length(m), (k & MK_DATE_ONLY) != 0)
                   ? MK_DATE
                   : 0;
    if (k & MK_CURRENCY)
        return !json_is_string(m) ||
                       !ocds_code_in_sorted(json_string_value(m), ocds_currency_codes, ocds_currency_codes_len)
                   ? MK_CURRENCY
                   : 0;
    if (k & MK_AMOUNT) /* a number in Value, a Value object in Budget and Transaction */
        return !json_is_number(m) && !json_is_object(m) ? MK_AMOUNT : 0;
    return !json_is_array(m) ? MK_MILESTONES : 0;
}

static int check_member(const char *key, unsigned k, const json_t *m, struct ocds_chk *c)
{
    switch (member_rule(k, m)) {
    case 0:
        return 0;
    case MK_DATE:
        return ocds_chk_fail(c, key, "must be an RFC 3339 date-time such as 2025-03-01T09:00:00Z");
    case MK_CURRENCY:
        return ocds_chk_fail(c, key, "must be an ISO 4217 code from the closed codelist currency");
    case MK_AMOUNT:
        return ocds_chk_fail(c, key, "must be a number (or a Value object)");
    default: /* milestones */
        return ocds_chk_fail(c, key, "must be an array");
    }
}

static int check_members(struct ocds_chk *c, int depth, size_t n, const char **key, size_t *klen, json_t **val)
{
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        unsigned k = member_kind(key[i], klen[i]);
        size_t mark;
        if (k && (rc = check_member(key[i], k, val[i], c)) < 0)
            return rc;
        if (!json_is_object(val[i]) && !json_is_array(val[i]))
            continue;
        mark = chk_push_key(c, key[i], klen[i]);
        rc = check_value(val[i], c, k, depth + 1);
        ocds_chk_pop(c, mark);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The members are read once, and a "withheld": true among them makes the
 * object a marker (is_marker) without a hash lookup per object. */
static int check_object(const json_t *v, struct ocds_chk *c, int depth)
{
    const char *key[32];
    size_t klen[32], n = json_object_size(v), i = 0;
    json_t *val[32];
    void *it;

    if (n > 32) { /* rare: no room on the stack, ask jansson */
        const char *k;
        size_t kl;
        json_t *m;
        if (is_marker(v))
            return 0;
        json_object_keylen_foreach((json_t *)v, k, kl, m) {
            int rc = check_members(c, depth, 1, &k, &kl, &m);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    for (it = json_object_iter((json_t *)v); it && i < n; it = json_object_iter_next((json_t *)v, it), i++) {
        key[i] = json_object_iter_key(it);
        klen[i] = json_object_iter_key_len(it);
        val[i] = json_object_iter_value(it);
        if (klen[i] == 8 && memcmp(key[i], "withheld", 8) == 0 && json_is_true(val[i]))
            return 0;
    }
    return check_members(c, depth, i, key, klen, val);
}

static int check_value(const json_t *v, struct ocds_chk *c, unsigned kind, int depth)
{
    if (depth > OCDS_JSON_MAX_DEPTH)
        return ocds_chk_fail(c, NULL, "nested deeper than %d levels", OCDS_JSON_MAX_DEPTH);
    if (json_is_object(v))
        return check_object(v, c, depth);
    if (json_is_array(v))
        return check_array(v, c, kind, depth);
    return 0;
}

/* ---- release-level rules -------------------------------------------- */

INLINE int check_string(const json_t *r, struct ocds_chk *c, const char *name)
{
    json_t *v = get(r, name);
    if (!v)
        return ocds_chk_fail(c, name, "is required");
    if (!json_is_string(v) || json_string_length(v) == 0)
        return ocds_chk_fail(c, name, "must be a non-empty string");
    return 0;
}

static int check_tag(const json_t *r, struct ocds_chk *c)
{
    json_t *tag = get(r, "tag"), *t;
    size_t i, mark;
    int rc = 0;

    if (!tag)
        return ocds_chk_fail(c, "tag", "is required");
    if (!json_is_array(tag) || json_array_size(tag) == 0)
        return ocds_chk_fail(c, "tag", "must be a non-empty array of releaseTag codes");
    mark = push(c, "tag");
    json_array_foreach(tag, i, t) {
        if (!json_is_string(t) || !ocds_code_in(json_string_value(t), release_tags)) {
            size_t m2 = ocds_chk_push_index(c, i);
            rc = ocds_chk_fail(c, NULL, "'%.80s' is not in the closed codelist releaseTag",
                               json_is_string(t) ? json_string_value(t) : "(not a string)");
            ocds_chk_pop(c, m2);
            break;
        }
    }
    ocds_chk_pop(c, mark);
    return rc;
}

INLINE int check_object_member(const json_t *obj, struct ocds_chk *c, const char *name)
{
    json_t *v = get(obj, name);
    if (v && !json_is_null(v) && !json_is_object(v) && !is_marker(v))
        return ocds_chk_fail(c, name, "must be an object");
    return 0;
}

INLINE int check_array_member(const json_t *obj, struct ocds_chk *c, const char *name)
{
    json_t *v = get(obj, name);
    if (v && !json_is_null(v) && !json_is_array(v) && !is_marker(v))
        return ocds_chk_fail(c, name, "must be an array");
    return 0;
}

/* An OrganizationReference's name, when a string, is not empty (the
 * schema's minLength 1; null or absent is allowed). */
static int check_org_ref(const json_t *ref, struct ocds_chk *c)
{
    json_t *name = get(ref, "name");
    if (is_marker(ref) || !json_is_string(name) || json_string_length(name) > 0)
        return 0;
    return ocds_chk_fail(c, "name", "must not be empty (OrganizationReference name, minLength 1)");
}

/* obj[name], an OrganizationReference object, if present. */
INLINE int check_org_ref_member(const json_t *obj, struct ocds_chk *c, const char *name)
{
    json_t *ref = get(obj, name);
    size_t mark;
    int rc;

    if (!json_is_object(ref))
        return 0;
    mark = push(c, name);
    rc = check_org_ref(ref, c);
    ocds_chk_pop(c, mark);
    return rc;
}

/* A member that, when a non-empty string, is not allowed to be empty. */
INLINE int check_nonempty(const json_t *obj, struct ocds_chk *c, const char *name)
{
    json_t *v = get(obj, name);
    if (json_is_string(v) && json_string_length(v) == 0)
        return ocds_chk_fail(c, name, "must not be empty (minLength 1)");
    return 0;
}

/* Runs fn on each object of the array obj[name]. */
INLINE int each_object(const json_t *obj, struct ocds_chk *c, const char *name,
                       int (*fn)(const json_t *, struct ocds_chk *))
{
    json_t *arr = get(obj, name), *e;
    size_t i, mark = push(c, name);
    int rc = 0;

    json_array_foreach(arr, i, e) {
        size_t m2 = ocds_chk_push_index(c, i);
        if (json_is_object(e))
            rc = fn(e, c);
        ocds_chk_pop(c, m2);
        if (rc < 0)
            break;
    }
    ocds_chk_pop(c, mark);
    return rc;
}

/* Each OrganizationReference of the array obj[name]. */
INLINE int check_org_refs(const json_t *obj, struct ocds_chk *c, const char *name)
{
    return each_object(obj, c, name, check_org_ref);
}

static int check_milestone(const json_t *m, struct ocds_chk *c)
{
    return chk_code(c, m, "status", "milestoneStatus", milestone_status);
}

static int check_milestones_in(const json_t *obj, struct ocds_chk *c)
{
    return each_object(obj, c, "milestones", check_milestone);
}

static int check_lot(const json_t *l, struct ocds_chk *c)
{
    return chk_code(c, l, "status", "tenderStatus (lots)", tender_status);
}

/* obj[name], if present, must be an array of objects. */
INLINE int check_object_array(const json_t *obj, struct ocds_chk *c, const char *name)
{
    json_t *arr = get(obj, name), *e;
    size_t i;
    int rc = 0;

    if (!arr || json_is_null(arr) || is_marker(arr))
        return 0;
    if (!json_is_array(arr))
        return ocds_chk_fail(c, name, "must be an array of objects");
    json_array_foreach(arr, i, e)
        if (!json_is_object(e)) {
            size_t mark = push(c, name);
            size_t m2 = ocds_chk_push_index(c, i);
            rc = ocds_chk_fail(c, NULL, "must be an object");
            ocds_chk_pop(c, m2);
            ocds_chk_pop(c, mark);
            break;
        }
    return rc;
}

static int check_tender(const json_t *t, struct ocds_chk *c)
{
    json_t *n = get(t, "numberOfTenderers");
    int rc;

    if ((rc = chk_code(c, t, "status", "tenderStatus", tender_status)) < 0 ||
        (rc = chk_code(c, t, "procurementMethod", "method", methods)) < 0 ||
        (rc = chk_code(c, t, "mainProcurementCategory", "procurementCategory", categories)) < 0 ||
        (rc = check_object_member(t, c, "value")) < 0 || (rc = check_object_array(t, c, "items")) < 0 ||
        (rc = check_array_member(t, c, "tenderers")) < 0 || (rc = check_array_member(t, c, "lots")) < 0 ||
        (rc = check_milestones_in(t, c)) < 0 || (rc = each_object(t, c, "lots", check_lot)) < 0 ||
        (rc = check_nonempty(t, c, "id")) < 0 || (rc = check_org_ref_member(t, c, "procuringEntity")) < 0 ||
        (rc = check_org_refs(t, c, "tenderers")) < 0)
        return rc;
    if (n && !json_is_null(n) && !is_marker(n) &&
        (!json_is_integer(n) || json_integer_value(n) < 0))
        return ocds_chk_fail(c, "numberOfTenderers", "must be a non-negative integer");
    return 0;
}

static int check_award(const json_t *a, struct ocds_chk *c)
{
    int rc;
    if ((rc = chk_code(c, a, "status", "awardStatus", award_status)) < 0 ||
        (rc = check_object_member(a, c, "value")) < 0 || (rc = check_object_array(a, c, "suppliers")) < 0 ||
        (rc = check_object_array(a, c, "items")) < 0 || (rc = check_org_refs(a, c, "suppliers")) < 0)
        return rc;
    return 0;
}

static int check_transaction(const json_t *t, struct ocds_chk *c)
{
    int rc = check_org_ref_member(t, c, "payer");
    return rc < 0 ? rc : check_org_ref_member(t, c, "payee");
}

static int check_contract(const json_t *k, struct ocds_chk *c)
{
    json_t *aid = get(k, "awardID"), *impl = get(k, "implementation");
    int rc;

    if (!aid || json_is_null(aid))
        return ocds_chk_fail(c, "awardID", "is required (the award this contract implements)");
    if (!json_is_string(aid) && !json_is_integer(aid) && !is_marker(aid))
        return ocds_chk_fail(c, "awardID", "must be a string or an integer");
    if ((rc = check_nonempty(k, c, "awardID")) < 0)
        return rc;
    if ((rc = chk_code(c, k, "status", "contractStatus", contract_status)) < 0 ||
        (rc = check_object_member(k, c, "value")) < 0 || (rc = check_milestones_in(k, c)) < 0 ||
        (rc = check_object_array(k, c, "items")) < 0 ||
        (rc = check_object_member(k, c, "implementation")) < 0)
        return rc;
    if (json_is_object(impl)) {
        size_t mark = push(c, "implementation");
        rc = check_milestones_in(impl, c);
        if (rc == 0)
            rc = check_array_member(impl, c, "transactions");
        if (rc == 0)
            rc = each_object(impl, c, "transactions", check_transaction);
        ocds_chk_pop(c, mark);
    }
    return rc;
}

static int check_bid(const json_t *b, struct ocds_chk *c)
{
    int rc;
    if ((rc = chk_code(c, b, "status", "bidStatus", bid_status)) < 0 ||
        (rc = check_array_member(b, c, "tenderers")) < 0 || (rc = check_object_member(b, c, "value")) < 0 ||
        (rc = check_org_refs(b, c, "tenderers")) < 0)
        return rc;
    return 0;
}

static int check_sections(const json_t *r, struct ocds_chk *c)
{
    json_t *sect;
    size_t mark;
    int rc;

    /* one call per name, not a loop over a list: the names' lengths are then known */
    if ((rc = check_object_member(r, c, "planning")) < 0 || (rc = check_object_member(r, c, "tender")) < 0 ||
        (rc = check_object_member(r, c, "buyer")) < 0 || (rc = check_object_member(r, c, "bids")) < 0 ||
        (rc = check_object_array(r, c, "parties")) < 0 || (rc = check_object_array(r, c, "awards")) < 0 ||
        (rc = check_object_array(r, c, "contracts")) < 0 || (rc = check_object_array(r, c, "relatedProcesses")) < 0 ||
        (rc = check_org_ref_member(r, c, "buyer")) < 0)
        return rc;
    if ((sect = get(r, "planning")) && json_is_object(sect)) {
        mark = push(c, "planning");
        rc = check_milestones_in(sect, c);
        ocds_chk_pop(c, mark);
        if (rc < 0)
            return rc;
    }
    if ((sect = get(r, "tender")) && json_is_object(sect) && !is_marker(sect)) {
        mark = push(c, "tender");
        rc = check_tender(sect, c);
        ocds_chk_pop(c, mark);
        if (rc < 0)
            return rc;
    }
    if ((sect = get(r, "bids")) && json_is_object(sect)) {
        mark = push(c, "bids");
        rc = check_array_member(sect, c, "details");
        if (rc == 0)
            rc = each_object(sect, c, "details", check_bid);
        ocds_chk_pop(c, mark);
        if (rc < 0)
            return rc;
    }
    if ((rc = each_object(r, c, "awards", check_award)) < 0)
        return rc;
    return each_object(r, c, "contracts", check_contract);
}

/* Every rule, with the generic walk (check_value over the whole release)
 * only when walk is set: ocds_release_check_jcs does that walk itself. */
static int release_check(const json_t *release, int walk, struct bf_err *err)
{
    struct bf_buf ptr = BF_BUF_INIT;
    struct ocds_chk c = {&ptr, err};
    json_t *date, *init;
    int rc;

    bf_buf_init(&ptr, 4096);
    if (!json_is_object(release)) {
        rc = bf_err_set(err, BF_EINVAL, "(release): a release must be a JSON object");
        goto out;
    }
    if ((rc = check_string(release, &c, "ocid")) < 0 || (rc = check_string(release, &c, "id")) < 0 ||
        (rc = check_string(release, &c, "date")) < 0 || (rc = check_tag(release, &c)) < 0)
        goto out;
    date = get(release, "date");
    if (!ocds_datetime_valid(json_string_value(date), json_string_length(date), 0)) {
        rc = ocds_chk_fail(&c, "date", "must be an RFC 3339 date-time such as 2025-03-01T09:00:00Z");
        goto out;
    }
    init = get(release, "initiationType");
    if (!init) {
        rc = ocds_chk_fail(&c, "initiationType", "is required (the only code is \"tender\")");
        goto out;
    }
    if (!json_is_string(init) || strcmp(json_string_value(init), "tender") != 0) {
        rc = ocds_chk_fail(&c, "initiationType", "must be \"tender\" (closed codelist initiationType)");
        goto out;
    }
    if ((walk && (rc = check_value(release, &c, 0, 0)) < 0) || (rc = check_sections(release, &c)) < 0 ||
        (rc = ocds_check_defence(release, &c)) < 0 || (rc = ocds_check_withheld(release, &c)) < 0)
        goto out;
out:
    bf_buf_free(&ptr);
    return rc;
}

int ocds_release_check(const json_t *release, struct bf_err *err)
{
    return release_check(release, 1, err);
}

/* ---- the check and the canonical text in one walk ---------------------- */

/* A member name longer than this sets top->personal: with it, a pointer
 * of nesting OCDS_JSON_MAX_DEPTH could pass the bound under which
 * ocds_withhold_personal's search for contact points is sure to find
 * nothing (64 levels of 1 + 2 * 400 bytes stay below 60000). */
#define FAST_MAX_KEY 400

#ifndef OCDS_JV
static void stash_put(struct stash *s, const json_t *obj, size_t first, size_t n)
{
    size_t i = stash_hash(obj, s->nslots - 1);

    while (s->slot[i].obj)
        i = (i + 1) & (s->nslots - 1);
    s->slot[i].obj = obj;
    s->slot[i].first = (uint32_t)first;
    s->slot[i].n = (uint32_t)n;
    s->used++;
}

static void stash_add(struct stash *s, const json_t *obj, const struct ocds_jcs_member *m, size_t n)
{
    if (s->n + n > s->cap) {
        size_t cap = 2 * (s->n + n);
        struct ocds_jcs_member *g = bf_xcalloc(cap, sizeof *g);
        memcpy(g, s->m, s->n * sizeof *g);
        if (s->m != s->m0)
            free(s->m);
        s->m = g, s->cap = cap;
    }
    memcpy(s->m + s->n, m, n * sizeof *m);
    if (2 * (s->used + 1) > s->nslots) { /* keep the table at most half full */
        struct stash_slot *old = s->slot;
        size_t i, nold = s->nslots;
        s->nslots *= 2;
        s->slot = bf_xcalloc(s->nslots, sizeof *s->slot);
        s->used = 0;
        for (i = 0; i < nold; i++)
            if (old[i].obj)
                stash_put(s, old[i].obj, old[i].first, old[i].n);
        if (old != s->s0)
            free(old);
    }
    stash_put(s, obj, s->n, n);
    s->n += n;
}
#endif

/* The generic walk's rules for one object's members (check_object and
 * check_members; the JCS writer descends; id arrays wait in the stash),
 * what makes the release one for the full path (a marker: the walk would
 * not look inside, the writer does), and what makes it one for
 * ocds_withhold_personal (a contact point, a long name: top->personal).
 * 0 to go on, 1 to stop. */
static int fast_visit(void *arg, const json_t *obj, const struct ocds_jcs_member *m, size_t n)
{
    struct stash *s = arg;
    size_t i;

    for (i = 0; i < n; i++) {
        const char *key = m[i].key;
        size_t klen = m[i].len;
        const json_t *v = m[i].value;
        unsigned k;

        if (klen > FAST_MAX_KEY)
            s->top->personal = 1;
        if (json_is_object(v) || json_is_array(v)) {
            if (KEY_IS(key, klen, "contactPoint") || KEY_IS(key, klen, "additionalContactPoints"))
                s->top->personal = 1;
        } else if (KEY_IS(key, klen, "withheld") && json_is_true(v)) {
            return 1;
        }
        if (!(k = member_kind(key, klen)))
            continue;
        if (member_rule(k, v))
            return 1;
        if ((k & MK_IDS) && json_is_array(v)) {
            if (s->nids == s->idscap) {
                struct stash_ids *g = bf_xcalloc(2 * s->idscap, sizeof *g);
                memcpy(g, s->ids, s->nids * sizeof *g);
                if (s->ids != s->ids0)
                    free(s->ids);
                s->ids = g, s->idscap *= 2;
            }
            s->ids[s->nids].arr = v;
            s->ids[s->nids++].kind = k;
        }
    }
#ifndef OCDS_JV /* jv objects answer lookups from their member arrays */
    stash_add(s, obj, m, n);
#else
    (void)obj;
#endif
    return 0;
}

static int fast_rest(const json_t *release, struct stash *s, struct bf_err *err)
{
    size_t i;

    for (i = 0; i < s->nids; i++) {
        const json_t *v = s->ids[i].arr;
        unsigned k = s->ids[i].kind;
        if (ocds_all_objects(v) && ids_fail(v, (k & MK_NEED_ID) != 0, (k & MK_UNIQUE) != 0))
            return 1;
    }
    return release_check(release, 0, err) != 0;
}

int ocds_release_check_jcs(const json_t *release, struct bf_buf *out, struct ocds_release_top *top)
{
    struct bf_err scratch = {0};
    struct stash s;
    size_t mark = out->len;
    int rc = 1;

    s.m = s.m0, s.n = 0, s.cap = BF_ARRAY_LEN(s.m0);
    s.slot = s.s0, s.nslots = BF_ARRAY_LEN(s.s0), s.used = 0;
    s.ids = s.ids0, s.nids = 0, s.idscap = BF_ARRAY_LEN(s.ids0);
    s.top = top;
    top->personal = 0;
#ifndef OCDS_JV
    memset(s.s0, 0, sizeof s.s0);
#endif
    if (json_is_object(release) && ocds_jcs_visit(release, out, fast_visit, &s, &scratch) == 0) {
        chk_stash = &s;
        rc = fast_rest(release, &s, &scratch);
        top->ocid = get(release, "ocid"), top->id = get(release, "id"), top->date = get(release, "date");
        top->tag = get(release, "tag"), top->withheld = get(release, "withheld");
        chk_stash = NULL;
        if (rc) {
            out->len = mark;
            out->data[mark] = '\0';
        }
    }
    if (s.m != s.m0)
        free(s.m);
    if (s.slot != s.s0)
        free(s.slot);
    if (s.ids != s.ids0)
        free(s.ids);
    return rc == 0;
}
