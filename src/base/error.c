/* Recording and formatting of tw_error. */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum tw_status tw_fail(struct tw_error *err, enum tw_status st, const char *file, uint64_t offset,
                       uint64_t frame, const char *fmt, ...)
{
    if (!err || err->status != TW_OK)
        return err ? err->status : st;
    err->status = st;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->offset = offset;
    err->frame = frame;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return st;
}

void tw_error_format(const struct tw_error *err, char *buf, unsigned long size)
{
    char where[96] = "";
    if (err->offset != TW_OFFSET_UNKNOWN && err->frame)
        snprintf(where, sizeof where, "byte %llu (frame %llu): ", (unsigned long long)err->offset,
                 (unsigned long long)err->frame);
    else if (err->offset != TW_OFFSET_UNKNOWN)
        snprintf(where, sizeof where, "byte %llu: ", (unsigned long long)err->offset);
    else if (err->frame)
        snprintf(where, sizeof where, "after frame %llu (byte offset unknown): ",
                 (unsigned long long)err->frame);
    if (err->file[0])
        snprintf(buf, size, "%s: %s%s", err->file, where, err->msg);
    else
        snprintf(buf, size, "%s%s", where, err->msg);
}
