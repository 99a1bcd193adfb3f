/*
 * fuzz_ocds_import.c - libFuzzer target for the importer's scanner: any
 * bytes (any encoding, nesting, layout) must yield items or rejections,
 * never a crash, a leak or a read outside the input. Each release handed
 * out is serialised to make sure it is a well-formed jansson value.
 */
#include "common.h"
#include "ocds/ocds_import.h"

static int on_item(void *arg, const struct ocds_import_item *it)
{
    size_t *n = arg;
    if (it->kind == OCDS_ITEM_RELEASE) {
        char *s = json_dumps(it->release, JSON_COMPACT);
        free(s);
    }
    if (it->pointer)
        (void)strlen(it->pointer);
    if (it->reason)
        (void)strlen(it->reason);
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    /* a small item limit exercises the streamed-package path too */
    ocds_import_scan("fuzz", (const char *)data, size, size > 64 ? size / 2 : 0, on_item, &n);
    return 0;
}
