/*
 * ocds_export_int.h - internals of the export writers: the compressing
 * byte sink (ocds_export_sink.c) and the CSV table writer
 * (ocds_export_csv.c) that ocds_export.c drives. Not for other modules.
 */
#ifndef BELFRY_OCDS_EXPORT_INT_H
#define BELFRY_OCDS_EXPORT_INT_H

#include "ocds_export.h"

struct ocds_sink;
struct ocds_csv;

int ocds_sink_open(enum ocds_export_compress z, ocds_write_fn fn, void *arg, struct ocds_sink **out,
                   struct bf_err *err);
int ocds_sink_write(struct ocds_sink *s, const void *p, size_t n, struct bf_err *err);
int ocds_sink_puts(struct ocds_sink *s, const char *str, struct bf_err *err);
/* Writes the trailer and frees s. */
int ocds_sink_close(struct ocds_sink *s, struct bf_err *err);
void ocds_sink_free(struct ocds_sink *s);
/* Write callback appending to a FILE* (arg). */
int ocds_sink_write_file(void *arg, const void *data, size_t n);

int ocds_csv_open(const char *dir, enum ocds_export_compress z, struct ocds_csv **out, struct bf_err *err);
int ocds_csv_add_release(struct ocds_csv *c, const json_t *release, struct bf_err *err);
/* Writes every table and frees c. */
int ocds_csv_finish(struct ocds_csv *c, struct bf_err *err);
void ocds_csv_abort(struct ocds_csv *c);

#endif
