/*
 * proc_issue.c - collecting what is wrong with a step, for the 400/409
 * answer and for the forms' inline errors. At most PROC_MAX_ISSUES are
 * kept (the first ones); the count of rule violations decides 409 vs 400.
 */
#include "common.h"
#include "proc/proc.h"

void proc_issue(struct proc_issues *is, const char *rule, const char *field, const char *fmt, ...)
{
    struct proc_issue *v;
    va_list ap;

    if (!is)
        return;
    if (rule)
        is->conflicts++;
    if (is->n == PROC_MAX_ISSUES)
        return;
    v = &is->v[is->n++];
    v->rule = rule;
    snprintf(v->field, sizeof v->field, "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
}

int proc_issues_code(const struct proc_issues *is)
{
    if (!is->n)
        return 0;
    return is->conflicts ? BF_ECONFLICT : BF_EINVAL;
}

/* A JSON string of a message that truncation may have cut inside a UTF-8
 * sequence: drop the partial character. */
static json_t *msg_string(const char *m)
{
    size_t n = strlen(m);
    json_t *s;
    while (!(s = json_stringn(m, n)) && n > 0)
        n--;
    return s ? s : json_string("");
}

json_t *proc_issues_json(const struct proc_issues *is)
{
    json_t *a = json_array();
    int i;
    for (i = 0; i < is->n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "field", json_string(is->v[i].field));
        json_object_set_new(o, "rule", is->v[i].rule ? json_string(is->v[i].rule) : json_null());
        json_object_set_new(o, "message", msg_string(is->v[i].msg));
        json_array_append_new(a, o);
    }
    return a;
}
