/* Errors that say where: the file as the user named it, the byte offset and
 * the frame. Only cli/ turns an error into a message and an exit status. */
#ifndef TW_BASE_ERROR_H
#define TW_BASE_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#define TW_OFFSET_UNKNOWN UINT64_MAX

#if defined(__GNUC__)
#define TW_MUST_CHECK __attribute__((warn_unused_result))
#define TW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TW_MUST_CHECK
#define TW_PRINTF(f, a)
#endif

enum tw_status { TW_OK = 0, TW_E_USAGE, TW_E_IO, TW_E_FORMAT, TW_E_NOMEM };

struct tw_error {
    enum tw_status status;
    char file[256];  /* the path as the user gave it ("-" for stdin) */
    uint64_t offset; /* byte offset in file, or TW_OFFSET_UNKNOWN */
    uint64_t frame;  /* 1-based frame number; 0 before the first frame */
    char msg[256];   /* in English, for JSON */
    char msg_local[256]; /* the same in the user's language (gettext) */
};

/* Records the first failure only; returns its status. fmt is an English
 * msgid: the message is kept in English and in the user's language. */
enum tw_status tw_fail(struct tw_error *err, enum tw_status st, const char *file, uint64_t offset,
                       uint64_t frame, const char *fmt, ...) TW_PRINTF(6, 7);

enum tw_status tw_failv(struct tw_error *err, enum tw_status st, const char *file, uint64_t offset,
                        uint64_t frame, const char *fmt, va_list ap) TW_PRINTF(6, 0);

/* "FILE: byte N (frame M): message" into buf, in the user's language or
 * in English (base/i18n.h says which output wants which). */
void tw_error_format(const struct tw_error *err, bool is_localized, char *buf, unsigned long size);

#endif
