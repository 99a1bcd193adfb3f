/*
 * portal_int.h - declarations shared by the portal's own files only.
 */
#ifndef BELFRY_PORTAL_INT_H
#define BELFRY_PORTAL_INT_H

struct app;
struct bf_err;

/* Registers the JSON endpoints of portal_api.c (handlers keep app). */
int portal_api_routes(struct app *app, struct bf_err *err);

#endif
