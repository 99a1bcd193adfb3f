/*
 * app.h - what `belfry serve` hands to each domain when it mounts it.
 *
 * A domain exposes `int <domain>_mount(struct app *app, struct bf_err *err)`
 * that registers its routes on app->http (and may keep app for its
 * handlers: app lives as long as the server). cmd_serve.c calls every
 * domain's mount function that is linked in.
 */
#ifndef BELFRY_APP_H
#define BELFRY_APP_H

struct store;
struct ledger;
struct http_server;
struct bf_err;

struct app {
    const char *data_dir;      /* --data */
    const char *web_dir;       /* static files of the portal (default ./web) */
    const char *vendor_dir;    /* npm front-end packages (default ./node_modules) */
    struct store *store;
    struct ledger *ledger;
    struct http_server *http;
};

#endif
