/*
 * proc_date.c - calendar dates for legal time limits.
 *
 * Time limits in Directive 2009/81 are counted in calendar days between
 * the dates of two acts (Regulation 1182/71: the day of the event is not
 * counted), so a date is kept as the calendar day written in the request,
 * in its own offset, plus the UTC instant for ordering. Parsing is strict:
 * one spelling per instant, real calendar dates only, years 1900-2999.
 */
#include "common.h"
#include "proc/proc.h"

/* Howard Hinnant's days_from_civil (public domain algorithm). */
int64_t proc_days_from_civil(int y, unsigned m, unsigned d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    unsigned yoe = (unsigned)(yy - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void proc_day_format(int64_t z, char out[11])
{
    int64_t era, y;
    unsigned doe, yoe, doy, mp, d, m;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = (int64_t)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += (m <= 2);
    snprintf(out, 11, "%04d-%02u-%02u", (int)y, m, d);
}

static int digits(const char *s, int n, int *out)
{
    int i, v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

/* Parses "THH:MM:SS[.frac](Z|±HH:MM)" at s; sets seconds of day and the
 * offset in seconds. */
static int parse_time(const char *s, int *sod, int *off, const char **frac, int *nfrac)
{
    int hh, mm, ss, oh, om;
    const char *p = s;

    if (*p++ != 'T' || digits(p, 2, &hh) || p[2] != ':' || digits(p + 3, 2, &mm) || p[5] != ':' ||
        digits(p + 6, 2, &ss))
        return -1;
    p += 8;
    *frac = NULL;
    *nfrac = 0;
    if (*p == '.') {
        *frac = ++p;
        while (*p >= '0' && *p <= '9' && *nfrac < 9) {
            p++;
            (*nfrac)++;
        }
        if (*nfrac == 0)
            return -1;
    }
    if (hh > 23 || mm > 59 || ss > 59)
        return -1;
    *sod = hh * 3600 + mm * 60 + ss;
    if (p[0] == 'Z' && p[1] == '\0') {
        *off = 0;
        return 0;
    }
    if ((p[0] != '+' && p[0] != '-') || digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) ||
        p[6] != '\0' || oh > 23 || om > 59)
        return -1;
    *off = (oh * 3600 + om * 60) * (p[0] == '-' ? -1 : 1);
    return 0;
}

int proc_date_parse(const char *s, struct proc_date *out, struct bf_err *err)
{
    int y, m, d, sod = 0, off = 0, nfrac = 0;
    const char *frac = NULL;
    size_t n = s ? strnlen(s, 64) : 0;

    if (n < 10 || n > 35 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' ||
        digits(s + 8, 2, &d))
        goto bad;
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        goto bad;
    if (n > 10 && parse_time(s + 10, &sod, &off, &frac, &nfrac) < 0)
        goto bad;
    memset(out, 0, sizeof *out);
    out->day = proc_days_from_civil(y, (unsigned)m, (unsigned)d);
    out->t = out->day * 86400 + sod - off;
    if (n == 10)
        snprintf(out->text, sizeof out->text, "%.10sT00:00:00Z", s);
    else
        snprintf(out->text, sizeof out->text, "%s", s);
    return 0;
bad:
    return bf_err_set(err, BF_EINVAL, "not a date: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (RFC 3339)");
}

int proc_date_is_bare(const char *s)
{
    return s && strlen(s) == 10;
}

int proc_date_parse_deadline(const char *s, struct proc_date *out, struct bf_err *err)
{
    int rc = proc_date_parse(s, out, err);
    if (rc || !proc_date_is_bare(s))
        return rc;
    out->t += 86399;
    snprintf(out->text, sizeof out->text, "%.10sT23:59:59Z", s);
    return 0;
}

void proc_date_now(int64_t t, struct proc_date *out)
{
    struct tm tm;
    time_t tt = (time_t)t;

    memset(out, 0, sizeof *out);
    out->t = t;
    out->day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    if (gmtime_r(&tt, &tm))
        strftime(out->text, sizeof out->text, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
