/* Formatting shared by the reporters: times, JSON strings, lost names. */
#include <stdio.h>
#include <time.h>

#include "report/sink.h"

void tw_format_time(int64_t ns, char *buf, unsigned long size)
{
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        sec--;
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

void tw_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
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
