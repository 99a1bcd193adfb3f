/*
 * err.c - error messages and their mapping to names and HTTP statuses.
 */
#include "common.h"

int bf_err_set(struct bf_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int bf_err_wrap(struct bf_err *err, const char *fmt, ...)
{
    char prefix[256], old[sizeof err->msg];
    va_list ap;

    if (!err)
        return BF_EINVAL;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
    return err->code;
}

const char *bf_err_name(int code)
{
    switch (code) {
    case BF_OK: return "ok";
    case BF_EINVAL: return "invalid";
    case BF_ENOMEM: return "no-memory";
    case BF_EIO: return "io";
    case BF_ENOTFOUND: return "not-found";
    case BF_ECONFLICT: return "conflict";
    case BF_ECORRUPT: return "corrupt";
    case BF_ECRYPTO: return "verification-failed";
    case BF_ELIMIT: return "too-large";
    case BF_EAUTH: return "unauthorized";
    case BF_EFORBIDDEN: return "forbidden";
    case BF_EEXIST: return "exists";
    case BF_EUNSUPPORTED: return "unsupported";
    case BF_ERATE: return "rate-limited";
    }
    return "error";
}

int bf_err_http_status(int code)
{
    switch (code) {
    case BF_OK: return 200;
    case BF_EINVAL: return 400;
    case BF_ENOTFOUND: return 404;
    case BF_ECONFLICT: return 409;
    case BF_EEXIST: return 409;
    case BF_ECRYPTO: return 422;
    case BF_ELIMIT: return 413;
    case BF_EAUTH: return 401;
    case BF_EFORBIDDEN: return 403;
    case BF_EUNSUPPORTED: return 415;
    case BF_ERATE: return 429;
    }
    return 500;
}
