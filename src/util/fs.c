/*
 * fs.c - bounded reads and crash-safe writes.
 */
#include "common.h"
#include "fs.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

int bf_fs_read(const char *path, size_t max, char **out, size_t *len, struct bf_err *err)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    size_t cap = 4096, n = 0;
    char *buf = NULL;
    int rc = 0;

    if (fd < 0)
        return bf_err_set(err, errno == ENOENT ? BF_ENOTFOUND : BF_EIO, "%s: %s", path, strerror(errno));
    buf = bf_xmalloc(cap);
    for (;;) {
        ssize_t r;
        if (n + 1 >= cap) {
            if (cap > max + 1) {
                rc = bf_err_set(err, BF_ELIMIT, "%s: larger than %zu bytes", path, max);
                goto out;
            }
            cap *= 2;
            buf = bf_xrealloc(buf, cap);
        }
        r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = bf_err_set(err, BF_EIO, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            rc = bf_err_set(err, BF_ELIMIT, "%s: larger than %zu bytes", path, max);
            goto out;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}

int bf_fs_sync_dir(const char *dir, struct bf_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return bf_err_set(err, BF_EIO, "%s: %s", dir, strerror(errno));
    if (fsync(fd) < 0) {
        close(fd);
        return bf_err_set(err, BF_EIO, "fsync %s: %s", dir, strerror(errno));
    }
    close(fd);
    return 0;
}

int bf_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct bf_err *err)
{
    char tmp[4096], dir[4096];
    const char *p = data;
    int fd, rc = 0;

    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return bf_err_set(err, BF_EINVAL, "path too long: %s", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return bf_err_set(err, BF_EIO, "%s: %s", tmp, strerror(errno));
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = bf_err_set(err, BF_EIO, "write %s: %s", tmp, strerror(errno));
            goto fail;
        }
        p += w;
        len -= (size_t)w;
    }
    if (fsync(fd) < 0) {
        rc = bf_err_set(err, BF_EIO, "fsync %s: %s", tmp, strerror(errno));
        goto fail;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) < 0) {
        rc = bf_err_set(err, BF_EIO, "rename %s: %s", path, strerror(errno));
        goto fail;
    }
    snprintf(dir, sizeof dir, "%s", path);
    return bf_fs_sync_dir(dirname(dir), err);
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return rc;
}

int bf_fs_mkdirs(const char *path, mode_t mode, struct bf_err *err)
{
    char buf[4096];
    size_t i, n = strlen(path);

    if (n >= sizeof buf)
        return bf_err_set(err, BF_EINVAL, "path too long: %s", path);
    memcpy(buf, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return bf_err_set(err, BF_EIO, "mkdir %s: %s", buf, strerror(errno));
        buf[i] = i == n ? '\0' : '/';
    }
    return 0;
}

int bf_fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}
