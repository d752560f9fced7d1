/* Recording and formatting of tw_error. */
#include "base/error.h"

#include "base/i18n.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum tw_status tw_failv(struct tw_error *err, enum tw_status st, const char *file, uint64_t offset,
                        uint64_t frame, const char *fmt, va_list ap)
{
    if (!err || err->status != TW_OK)
        return err ? err->status : st;
    err->status = st;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->offset = offset;
    err->frame = frame;
    va_list again;
    va_copy(again, ap);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    vsnprintf(err->msg_local, sizeof err->msg_local, _(fmt), again);
    va_end(again);
    return st;
}

enum tw_status tw_fail(struct tw_error *err, enum tw_status st, const char *file, uint64_t offset,
                       uint64_t frame, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st = tw_failv(err, st, file, offset, frame, fmt, ap);
    va_end(ap);
    return st;
}

void tw_error_format(const struct tw_error *err, bool is_localized, char *buf, unsigned long size)
{
    char where[128] = "";
    if (err->offset != TW_OFFSET_UNKNOWN && err->frame)
        snprintf(where, sizeof where, tw_tr(is_localized, "byte %llu (frame %llu): "),
                 (unsigned long long)err->offset, (unsigned long long)err->frame);
    else if (err->offset != TW_OFFSET_UNKNOWN)
        snprintf(where, sizeof where, tw_tr(is_localized, "byte %llu: "),
                 (unsigned long long)err->offset);
    else if (err->frame)
        snprintf(where, sizeof where,
                 tw_tr(is_localized, "after frame %llu (byte offset unknown): "),
                 (unsigned long long)err->frame);
    const char *msg = is_localized ? err->msg_local : err->msg;
    if (err->file[0])
        snprintf(buf, size, "%s: %s%s", err->file, where, msg);
    else
        snprintf(buf, size, "%s%s", where, msg);
}
