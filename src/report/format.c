/* Formatting shared by the reporters: times, JSON strings, lost names.
 * Times and strings are formatted by hand rather than through printf: a
 * JSON run formats several of each per attempt, and printf's parsing cost
 * a third of its instructions. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report/sink.h"

/* n digits of v, zero-padded, at p. */
static char *digits(char *p, unsigned long long v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

/* Year, month (1-12) and day of days since 1970-01-01 (proleptic
 * Gregorian), by 400-year eras of 146097 days that start on 1 March, so
 * that the leap day ends a year. days >= 0. */
static void civil_date(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468; /* days since 0000-03-01 */
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

/* ns as seconds and nanoseconds, the nanoseconds in [0, 1e9). */
static void split_ns(int64_t ns, int64_t *sec, int64_t *frac)
{
    *sec = ns / 1000000000;
    *frac = ns % 1000000000;
    if (*frac < 0) {
        *frac += 1000000000;
        (*sec)--;
    }
}

/* 1970 to 9999: formatted by hand, 19 bytes to the second */
static bool is_by_hand(int64_t sec) { return sec >= 0 && sec < INT64_C(253402300800); }

static void format_second(int64_t sec, char second[19])
{
    int64_t year;
    int month, day;
    civil_date(sec / 86400, &year, &month, &day);
    unsigned long long s = (unsigned long long)(sec % 86400);
    char *p = digits(second, (unsigned long long)year, 4);
    *p++ = '-';
    p = digits(p, (unsigned long long)month, 2);
    *p++ = '-';
    p = digits(p, (unsigned long long)day, 2);
    *p++ = 'T';
    p = digits(p, s / 3600, 2);
    *p++ = ':';
    p = digits(p, s / 60 % 60, 2);
    *p++ = ':';
    digits(p, s % 60, 2);
}

/* The second's 19 bytes, then ".nnnnnnnnnZ" and the NUL (31 bytes). */
static void format_by_hand(const char second[19], int64_t frac, char *buf)
{
    memcpy(buf, second, 19);
    buf[19] = '.';
    digits(buf + 20, (unsigned long long)frac, 9);
    buf[29] = 'Z';
    buf[30] = '\0';
}

void tw_format_time(int64_t ns, char *buf, unsigned long size)
{
    int64_t sec, frac;
    split_ns(ns, &sec, &frac);
    if (is_by_hand(sec) && size >= 31) {
        char second[19];
        format_second(sec, second);
        format_by_hand(second, frac, buf);
        return;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, size, "%lld.%09lld", (long long)sec, (long long)frac);
        return;
    }
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)frac);
}

void tw_format_time_memo(struct tw_time_memo *m, int64_t ns, char *buf, unsigned long size)
{
    int64_t sec, frac;
    split_ns(ns, &sec, &frac);
    if (!is_by_hand(sec) || size < 31) {
        tw_format_time(ns, buf, size);
        return;
    }
    if (!m->is_set || m->sec != sec) {
        format_second(sec, m->second);
        m->sec = sec;
        m->is_set = true;
    }
    format_by_hand(m->second, frac, buf);
}

const char *tw_json_escape(unsigned char c, char tmp[8])
{
    if (tw_json_is_plain(c))
        return NULL;
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default:
        memcpy(tmp, "\\u00", 4);
        tmp[4] = "0123456789abcdef"[c >> 4];
        tmp[5] = "0123456789abcdef"[c & 15];
        tmp[6] = '\0';
        return tmp;
    }
}

void tw_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    char tmp[8];
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        const char *esc = tw_json_escape(*p, tmp);
        if (esc)
            fputs(esc, out);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

int tw_lost_names(unsigned lost, const char *names[4])
{
    int n = 0;
    if (lost & TW_LOST_SYN)
        names[n++] = "syn";
    if (lost & TW_LOST_SYNACK)
        names[n++] = "synack";
    if (lost & TW_LOST_ACK)
        names[n++] = "ack";
    if (lost & TW_LOST_UNKNOWN)
        names[n++] = "unknown";
    return n;
}

bool tw_report_is_problem(const struct tw_attempt_record *r)
{
    return r->diag.verdict != TW_VERDICT_OK && r->diag.verdict != TW_VERDICT_UNKNOWN;
}

void tw_attempt_view_of(struct tw_attempt_view *v, size_t input, const struct tw_attempt_record *r)
{
    v->input = input;
    v->key = r->key;
    v->is_isn_known = r->is_isn_known;
    v->isn = r->isn;
    v->first_ns = r->first_ns;
    v->last_ns = r->last_ns;
}

size_t tw_input_index(char *const *inputs, size_t n_inputs, const char *file)
{
    for (size_t i = 0; file && i < n_inputs; i++)
        if (strcmp(inputs[i], file) == 0)
            return i;
    return n_inputs;
}
