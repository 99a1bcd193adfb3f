/*
 * fs.h - file helpers with the durability rules Belfry relies on.
 *
 * bf_fs_write_atomic follows the Tessera/Redis pattern: write a temporary
 * file in the same directory, fsync it, rename over the target, fsync the
 * directory. After it returns 0 the new content survives a crash; before
 * that the old content (or no file) does, never a torn mix.
 */
#ifndef BELFRY_FS_H
#define BELFRY_FS_H

#include <stddef.h>
#include <sys/types.h>

struct bf_err;

/* Reads the whole file (at most max bytes, else BF_ELIMIT). *out is
 * malloc'ed and NUL-terminated; caller frees. path "-" reads stdin. */
int bf_fs_read(const char *path, size_t max, char **out, size_t *len, struct bf_err *err);

/* Atomically replaces path with data (mode for a new file, e.g. 0644). */
int bf_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct bf_err *err);

/* mkdir -p with mode for created directories. */
int bf_fs_mkdirs(const char *path, mode_t mode, struct bf_err *err);

/* fsync a directory (after creating or renaming entries in it). */
int bf_fs_sync_dir(const char *dir, struct bf_err *err);

/* 1 if path exists. */
int bf_fs_exists(const char *path);

#endif
