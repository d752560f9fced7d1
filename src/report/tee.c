/* The tee: one stream of records to two reporters (the report on standard
 * output and the --html page). */
#include <stdlib.h>
#include <string.h>

#include "report/sink.h"

struct tee {
    struct tw_sink to[2];
};

/* One forwarding function per record kind: to each reporter that takes it. */
#define TEE(kind, type)                                                                            \
    static void tee_##kind(void *ctx, const type *rec)                                             \
    {                                                                                              \
        struct tee *t = ctx;                                                                       \
        for (int i = 0; i < 2; i++)                                                                \
            if (t->to[i].kind)                                                                     \
                t->to[i].kind(t->to[i].ctx, rec);                                                  \
    }
TEE(attempt, struct tw_attempt_record)
TEE(folded, struct tw_attempt_record)
TEE(rst, struct tw_rst_record)
TEE(correlation, struct tw_correlation)
TEE(connect, struct tw_connect_record)
TEE(server_failures, struct tw_server_failures_record)
TEE(summary, struct tw_file_summary)
#undef TEE

static void tee_settled(void *ctx, int64_t now_ns, const struct tw_attempt_brief *open,
                        size_t n_open)
{
    struct tee *t = ctx;
    for (int i = 0; i < 2; i++)
        if (t->to[i].settled)
            t->to[i].settled(t->to[i].ctx, now_ns, open, n_open);
}

static void tee_finish(void *ctx)
{
    struct tee *t = ctx;
    for (int i = 0; i < 2; i++)
        if (t->to[i].finish)
            t->to[i].finish(t->to[i].ctx);
}

static void tee_free(void *ctx)
{
    struct tee *t = ctx;
    for (int i = 0; i < 2; i++)
        if (t->to[i].free)
            t->to[i].free(t->to[i].ctx);
    free(t);
}

bool tw_report_tee(struct tw_sink *sink, struct tw_sink a, struct tw_sink b)
{
    struct tee *t = calloc(1, sizeof *t);
    if (!t)
        return false;
    t->to[0] = a;
    t->to[1] = b;
    memset(sink, 0, sizeof *sink);
    sink->ctx = t;
    sink->attempt = tee_attempt;
    sink->folded = tee_folded;
    sink->settled = tee_settled;
    sink->rst = tee_rst;
    sink->correlation = tee_correlation;
    sink->connect = tee_connect;
    sink->server_failures = tee_server_failures;
    sink->summary = tee_summary;
    sink->finish = tee_finish;
    sink->free = tee_free;
    return true;
}
